/// The symbolic constants packetdrill scripts name (`SOL_SOCKET`, `TCP_NODELAY`,
/// `O_NONBLOCK`, `POLLIN`, `EPOLLIN`, `SIOCINQ`, ...), with Linux's values.
///
/// Both backends receive Linux's numbers, so a script means the same on each.
public enum LinuxSymbols {
    /// The value of a symbol, or nil when Linux (as packetdrill knows it) has no such name.
    public static func value(of name: String) -> Int64? {
        values[name]
    }
}

/// Linux's errno names, numbers and strerror(3) texts.
public enum LinuxErrno {
    private static let byName: [String: Int32] = {
        var map: [String: Int32] = [:]
        for entry in table { map[entry.name] = entry.number }
        return map
    }()

    private static let textByNumber: [Int32: String] = {
        var map: [Int32: String] = [:]
        for entry in table where map[entry.number] == nil { map[entry.number] = entry.text }
        return map
    }()

    /// The number of an errno name (`EAGAIN` is 11), or nil for an unknown name.
    public static func number(named name: String) -> Int32? {
        byName[name]
    }

    /// The first name Linux gives an errno number (`EAGAIN` for 11), or nil.
    public static func name(of number: Int32) -> String? {
        table.first { $0.number == number }?.name
    }

    /// What strerror(3) says for an errno number on Linux (`Connection reset by peer`
    /// for 104); `Unknown error N` for numbers without a text, as glibc says.
    public static func text(of number: Int32) -> String {
        if number == 0 { return "Success" }
        return textByNumber[number] ?? "Unknown error \(number)"
    }
}
