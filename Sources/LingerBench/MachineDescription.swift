#if canImport(Glibc)
import Glibc
#endif

/// The machine a run measured: CPU model, core count, kernel release.
public enum MachineDescription {
    /// e.g. `AMD EPYC 7B13, 2 cores, Linux 6.18.0`.
    public static func current() -> String {
        var parts: [String] = []
        if let info = readSmallFile("/proc/cpuinfo") {
            for line in info.split(separator: "\n") where line.hasPrefix("model name") {
                if let colon = line.firstIndex(of: ":") {
                    parts.append(String(line[line.index(after: colon)...].drop(while: { $0 == " " })))
                }
                break
            }
        }
        #if canImport(Glibc)
        parts.append("\(sysconf(Int32(_SC_NPROCESSORS_ONLN))) cores")
        #endif
        if let release = readSmallFile("/proc/sys/kernel/osrelease") {
            parts.append("Linux " + release.filter { $0 != "\n" })
        }
        return parts.isEmpty ? "unknown" : parts.joined(separator: ", ")
    }
}
