import LingerWire

/// The full-socket half of the established hash (inet_hashtables' ehash):
/// sockets by 4-tuple.
///
/// A million connections make its size matter: a Dictionary keyed by
/// `FourTuple` spends 56 bytes per bucket (the 48-byte key and the reference)
/// at under half load. Here the key is not stored at all, since the socket
/// holds its own 4-tuple: each bucket is the socket reference and 32 bits of
/// the key's hash (12 bytes, in two arrays), with linear probing at most 3/4
/// full and deletion by backward shift (no tombstones). The stored hash bits
/// settle most mismatches without touching the socket, and give each entry's
/// home bucket when the table grows or shifts.
///
/// A socket's 4-tuple must not change while it is in the table (as in Linux,
/// where a socket is unhashed before its addresses change).
struct EstablishedTable {
    /// The low 32 bits of each entry's hash (meaningless where `sockets` is nil).
    private var hashes: [UInt32] = []
    private var sockets: [TCPSocket?] = []
    /// How many sockets the table holds.
    private(set) var count = 0
    /// Whether it holds none.
    var isEmpty: Bool { count == 0 }

    /// A well-mixed hash of a 4-tuple (MurmurHash3's finalizer over its fields).
    @inline(__always)
    static func hash(_ tuple: FourTuple) -> UInt32 {
        var h = UInt64(tuple.local.port) << 16 | UInt64(tuple.remote.port)
        mix(&h, tuple.local.address)
        mix(&h, tuple.remote.address)
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return UInt32(truncatingIfNeeded: h)
    }

    private static func mix(_ h: inout UInt64, _ address: IPAddress) {
        switch address {
        case .v4(let a):
            h = (h ^ UInt64(a.value)) &* 0x9E37_79B9_7F4A_7C15
        case .v6(let a):
            h = (h ^ a.high) &* 0x9E37_79B9_7F4A_7C15
            h = (h ^ a.low ^ 0x6A09_E667_F3BC_C909) &* 0xC2B2_AE3D_27D4_EB4F
        }
    }

    private static func holds(_ sk: TCPSocket, _ tuple: FourTuple) -> Bool {
        sk.localPort == tuple.local.port && sk.remotePort == tuple.remote.port
            && sk.remoteAddress == tuple.remote.address && sk.localAddress == tuple.local.address
    }

    /// The bucket of `tuple`'s socket, or nil. Inlined: every inbound segment
    /// probes once, and the call's frame cost as much as the probe.
    @inline(__always)
    private func bucket(of tuple: FourTuple, hash: UInt32) -> Int? {
        guard !sockets.isEmpty else { return nil }
        let mask = sockets.count - 1
        var bucket = Int(hash) & mask
        while let sk = sockets[bucket] {
            if hashes[bucket] == hash && Self.holds(sk, tuple) { return bucket }
            bucket = (bucket + 1) & mask
        }
        return nil
    }

    /// The socket of `tuple`; setting nil removes it, setting a socket adds or replaces it.
    subscript(tuple: FourTuple) -> TCPSocket? {
        @inline(__always) get {
            guard let bucket = bucket(of: tuple, hash: Self.hash(tuple)) else { return nil }
            return sockets[bucket]
        }
        set {
            let hash = Self.hash(tuple)
            if let bucket = bucket(of: tuple, hash: hash) {
                if let newValue {
                    sockets[bucket] = newValue
                } else {
                    remove(bucket: bucket)
                }
                return
            }
            guard let newValue else { return }
            if (count + 1) * 4 > sockets.count * 3 { grow() }
            place(newValue, hash: hash)
            count += 1
        }
    }

    /// The socket of `tuple` without a reference of its own: valid while the
    /// table holds it (NetworkStack.unhashedSocket keeps it a while longer).
    @inline(__always)
    func unretainedSocket(_ tuple: FourTuple) -> Unmanaged<TCPSocket>? {
        guard let bucket = bucket(of: tuple, hash: Self.hash(tuple)), let sk = sockets[bucket] else { return nil }
        return Unmanaged.passUnretained(sk)
    }

    /// Removes `sk` from `tuple`'s bucket if it is the socket held there: one
    /// probe, where reading the entry and then setting it to nil takes two.
    mutating func remove(_ sk: TCPSocket, at tuple: FourTuple) {
        guard let bucket = bucket(of: tuple, hash: Self.hash(tuple)), sockets[bucket] === sk else { return }
        remove(bucket: bucket)
    }

    /// Every socket, in no particular order.
    var allSockets: [TCPSocket] { sockets.compactMap { $0 } }

    private mutating func place(_ sk: TCPSocket, hash: UInt32) {
        let mask = sockets.count - 1
        var bucket = Int(hash) & mask
        while sockets[bucket] != nil { bucket = (bucket + 1) & mask }
        sockets[bucket] = sk
        hashes[bucket] = hash
    }

    private mutating func grow() {
        let oldSockets = sockets
        let oldHashes = hashes
        let size = max(16, sockets.count * 2)
        sockets = [TCPSocket?](repeating: nil, count: size)
        hashes = [UInt32](repeating: 0, count: size)
        for (index, sk) in oldSockets.enumerated() {
            if let sk { place(sk, hash: oldHashes[index]) }
        }
    }

    /// Empties `start`, shifting back the entries after it that probed past it.
    private mutating func remove(bucket start: Int) {
        let mask = sockets.count - 1
        var hole = start
        var bucket = start
        while true {
            bucket = (bucket + 1) & mask
            guard sockets[bucket] != nil else { break }
            let home = Int(hashes[bucket]) & mask
            // The entry may move to the hole unless its home lies cyclically in (hole, bucket].
            let homeAfterHole = (home &- hole) & mask
            if homeAfterHole == 0 || homeAfterHole > (bucket &- hole) & mask {
                sockets[hole] = sockets[bucket]
                hashes[hole] = hashes[bucket]
                hole = bucket
            }
        }
        sockets[hole] = nil
        count -= 1
    }
}
