// Placeholder until the script module lands; delete when real files exist.
enum LingerScriptPlaceholder {}
