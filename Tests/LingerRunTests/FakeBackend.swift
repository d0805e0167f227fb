import LingerRun
