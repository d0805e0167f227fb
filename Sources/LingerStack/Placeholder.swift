// Placeholder until the stack lands; delete when real files exist.
enum LingerStackPlaceholder {}
