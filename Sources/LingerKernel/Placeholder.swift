// Placeholder until the kernel backend lands; delete when real files exist.
enum LingerKernelPlaceholder {}
