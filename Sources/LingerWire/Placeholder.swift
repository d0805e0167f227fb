// Placeholder until the wire module lands; delete when real files exist.
enum LingerWirePlaceholder {}
