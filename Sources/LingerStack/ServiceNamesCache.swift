import Synchronization

@available(macOS 15.0, *)
private let lastServiceNames = Mutex<(text: String, names: ServiceNames)?>(nil)

extension ServiceNames {
    /// ``init(etcServices:)``, parsed once for the text most recently seen: every `ss`
    /// of every script reads the same /etc/services.
    public static func cached(etcServices text: String) -> ServiceNames {
        guard #available(macOS 15.0, *) else { return ServiceNames(etcServices: text) }
        if let hit = lastServiceNames.withLock({ $0?.text == text ? $0?.names : nil }) { return hit }
        let names = ServiceNames(etcServices: text)
        lastServiceNames.withLock { $0 = (text, names) }
        return names
    }
}
