/// A built-in scenario that `linger demo` runs and tells as a story: a script
/// (the applications' system calls and the peer's packets) with the words
/// around it: what the applications do, why Linux behaves so, and what an
/// application should do about it.
public struct Demo: Sendable, Hashable {
    /// The name `linger demo NAME` takes, e.g. `pipelining-rst`.
    public var name: String
    /// One line for the list.
    public var title: String
    /// Where it comes from, e.g. `seed scenario 5 (spec section 11)`.
    public var origin: String
    /// What the two applications do, in a short paragraph.
    public var applications: String
    /// Why Linux behaves so, naming the kernel functions.
    public var why: String
    /// What an application should do about it.
    public var advice: String
    /// The packetdrill script run on the sim (Linger's stack, virtual time).
    public var script: String
    /// The script for the live kernel when it differs (a long wait shortened);
    /// nil when the kernel runs ``script`` itself.
    public var kernelScript: String?

    /// Creates a demo.
    public init(name: String, title: String, origin: String, applications: String, why: String, advice: String,
                script: String, kernelScript: String? = nil) {
        self.name = name
        self.title = title
        self.origin = origin
        self.applications = applications
        self.why = why
        self.advice = advice
        self.script = script
        self.kernelScript = kernelScript
    }

    /// The script a backend runs: ``kernelScript`` on the kernel when there is one.
    public func script(onKernel: Bool) -> String {
        onKernel ? kernelScript ?? script : script
    }

    /// Every built-in demo, in the order of the seed scenarios (spec section 11),
    /// then TIME_WAIT port exhaustion.
    public static let all: [Demo] = [
        .timeWait, .passiveClose, .closeWaitLeak, .sharedDescriptor, .pipeliningReset, .lingerZero,
        .lingerTimeout, .gracefulShutdown, .orphanFinWait2, .simultaneousClose, .closeInSynSent,
        .listenerClose, .portExhaustion,
    ]

    /// The demo called `name`, or nil.
    public static func named(_ name: String) -> Demo? {
        all.first { $0.name == name }
    }

    /// The list `linger demo` prints: one line per demo, names aligned.
    public static var listText: String {
        let width = all.map(\.name.count).max() ?? 0
        return all.map { demo in
            demo.name + String(repeating: " ", count: width - demo.name.count + 2) + demo.title
        }.joined(separator: "\n") + "\n"
    }
}
