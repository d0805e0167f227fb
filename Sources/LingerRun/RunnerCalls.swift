import Foundation
import LingerScript
import LingerWire

/// System call and code events: run_system_call.c's event handling and code.c.
extension ScriptRunner {
    func syscallFailure(_ line: Int, _ spec: SyscallSpec, _ message: String) -> RunFailure {
        if message.contains("not supported by linger") {
            return .unsupported("\(scriptPath):\(line): \(spec.name): \(message)")
        }
        return .script("\(scriptPath):\(line): runtime error in \(spec.name) call: \(message)")
    }

    /// Waits (at most 1 s, as packetdrill) for a blocked call to return; true when none is left.
    func awaitIdle() throws(RunFailure) -> Bool {
        guard let pending else { return true }
        guard let completion = backend.awaitBlockedCall(deadline: backend.now() &+ 1_000_000) else { return false }
        try completeBlockedCall(pending, completion)
        return true
    }

    /// Checks, without waiting, whether the blocked call has returned.
    func checkBlockedCallCompletion() throws(RunFailure) {
        guard let pending else { return }
        if let completion = backend.awaitBlockedCall(deadline: backend.now()) {
            try completeBlockedCall(pending, completion)
        }
    }

    func completeBlockedCall(_ call: PendingCall, _ completion: CallCompletion) throws(RunFailure) {
        pending = nil
        emit("\(call.spec.name) syscall: \(ScriptPackets.seconds(scriptTime(completion.time)))",
             time: scriptTime(completion.time), line: call.timing.line)
        observeCall(call.spec, completion, startTime: call.timing.time, line: call.timing.line)
        try checkResult(call.spec, call.prepared, completion.result, line: call.timing.line)
        // A blocking call's return is checked against its END time, with the tolerance
        // scaled from its start.
        if let message = verifyTime(kind: call.timing.kind, scriptTime: call.timing.blockingEnd ?? call.timing.time, scriptEnd: 0,
                                    live: completion.time, lastEventTime: call.timing.time, offset: call.timing.offset,
                                    description: "system call return") {
            throw .script("\(scriptPath):\(call.timing.line): \(message)")
        }
    }

    func runSyscallEvent(_ spec: SyscallSpec, event: Event) throws(RunFailure) {
        currentAction = event.action
        let line = event.location.line
        let blocking = spec.blockingEndMicroseconds != nil
        let idle = try awaitIdle()
        if !idle {
            if spec.name == "exit", let pending {
                // Linux would end the blocked thread with the process; its return could
                // not be checked.
                throw .unsupported("\(scriptPath):\(line): exit() while the blocking \(pending.spec.name) call of line \(pending.timing.line) is still in progress is not supported by linger")
            }
            if blocking {
                throw .script("\(scriptPath):\(line): runtime error in \(spec.name) call: blocking system call while another blocking system call is already in progress")
            }
            throw .unsupported("\(scriptPath):\(line): a system call while another blocking system call is still in progress after 1 second is not supported by linger")
        }
        try waitForEvent()
        let prepared: PreparedCall
        do throws(SyscallError) {
            prepared = try prepare(spec)
        } catch {
            throw syscallFailure(line, spec, error.message)
        }
        switch backend.start(prepared.call) {
        case .finished(let completion):
            if blocking, let timing = current {
                try completeBlockedCall(PendingCall(spec: spec, timing: timing, prepared: prepared), completion)
            } else {
                emit("\(spec.name) syscall: \(ScriptPackets.seconds(scriptTime(completion.time)))", time: scriptTime(completion.time))
                observeCall(spec, completion, startTime: current?.time ?? scriptTime(completion.time), line: line)
                try checkResult(spec, prepared, completion.result, line: line)
            }
        case .blocked:
            guard let timing = current else { return }
            if !blocking {
                // packetdrill runs non-blocking calls on the main thread: a call that blocks
                // stops the script until it returns.
                guard let completion = backend.awaitBlockedCall(deadline: Int64.max) else {
                    throw .script("\(scriptPath):\(line): runtime error in \(spec.name) call: the call never returned")
                }
                emit("\(spec.name) syscall: \(ScriptPackets.seconds(scriptTime(completion.time)))", time: scriptTime(completion.time))
                observeCall(spec, completion, startTime: current?.time ?? scriptTime(completion.time), line: line)
                try checkResult(spec, prepared, completion.result, line: line)
                return
            }
            pending = PendingCall(spec: spec, timing: timing, prepared: prepared)
        }
    }

    /// Tells the call observer a call returned: the script's call with the result
    /// the system under test gave.
    func observeCall(_ spec: SyscallSpec, _ completion: CallCompletion, startTime: Int64, line: Int) {
        guard let callObserver else { return }
        var shown = spec
        shown.result = SyscallExpression(.integer(completion.result.value, .decimal), location: spec.result.location)
        shown.errno = nil
        shown.note = nil
        var text = ScriptPrinter().format(shown)
        if completion.result.value < 0 {
            let number = completion.result.errno
            text += " \(LinuxErrno.name(of: number) ?? String(number)) (\(LinuxErrno.text(of: number)))"
        }
        callObserver(ObservedCall(time: scriptTime(completion.time), startTime: startTime, line: line, text: text))
    }

    /// end_syscall's result and errno checks, then the call's own out-parameter checks.
    func checkResult(_ spec: SyscallSpec, _ prepared: PreparedCall, _ result: SocketCallResult, line: Int) throws(RunFailure) {
        do throws(SyscallError) {
            let expected = try Self.int32(try evaluate(spec.result))
            let actualErrno = result.errno
            let errnoText = "with errno \(actualErrno) (\(LinuxErrno.text(of: actualErrno)))"
            if prepared.mode == .fileDescriptor && expected >= 0 {
                // As in packetdrill, the script's number names the new descriptor and is
                // mapped to the real one, whatever that is: corpus scripts rely on it
                // (syscall_bad_arg/fastopen-invalid-buf-ptr.pkt expects 4 after closing 3).
                if result.value < 0 { throw SyscallError("Expected non-negative result but got \(result.value) \(errnoText)") }
                // Both backends number descriptors as a fresh Linux process does, so a
                // difference means the script assumed another numbering: say so.
                if result.value != Int64(expected) {
                    warnings.append("\(scriptPath):\(line): note: the script's descriptor \(expected) is descriptor \(result.value) in the system under test (mapped, as packetdrill does)")
                }
            } else if result.value != Int64(expected) {
                throw SyscallError("Expected result \(expected) but got \(result.value) \(errnoText)")
            }
            if let errnoSpec = spec.errno {
                guard let expectedErrno = LinuxErrno.number(named: errnoSpec.name) ?? LinuxSymbols.value(of: errnoSpec.name).map({ Int32(truncatingIfNeeded: $0) }) else {
                    throw SyscallError("unknown symbol: '\(errnoSpec.name)'")
                }
                if actualErrno != expectedErrno {
                    throw SyscallError("Expected errno \(expectedErrno) (\(LinuxErrno.text(of: expectedErrno))) but got \(actualErrno) (\(LinuxErrno.text(of: actualErrno)))")
                }
            }
            try prepared.after(result)
        } catch {
            throw syscallFailure(line, spec, error.message)
        }
    }

    // MARK: - Code blocks (code.c)

    func runCodeEvent(_ code: CodeBlock, event: Event) throws(RunFailure) {
        currentAction = event.action
        let line = event.location.line
        try waitForEvent()
        // A blocking call that has returned meanwhile is checked now: the sample below
        // is a call of its own, and the backend keeps only the latest call's result.
        try checkBlockedCallCompletion()
        guard let socket = socketUnderTest else {
            throw .script("\(scriptPath):\(line): runtime error in code: no socket to use for code")
        }
        let call = SocketCall.getsockopt(fd: socket.liveFD, level: 6, name: 11, length: UInt32(TCPInfoLayout.size))
        var result: SocketCallResult?
        switch backend.start(call) {
        case .finished(let completion): result = completion.result
        case .blocked: result = backend.awaitBlockedCall(deadline: backend.now() &+ 1_000_000)?.result
        }
        guard let result, result.value >= 0, case .option(let bytes) = result.output else {
            throw .script("\(scriptPath):\(line): runtime error in code: can't find getsockopt to get TCP info")
        }
        codeSamples.append((line, TCPInfoLayout.decode(bytes), code.text, code.location.line > 0 ? code.location.line : line))
    }

    /// The Python program for the collected samples: each block runs after the tcp_info
    /// values sampled at its event are bound to their names.
    func pythonProgram() -> String {
        var text = """
        import sys
        import traceback
        def _linger_report(kind, value, tb):
            sys.stderr.write('%s:%d: error in Python code\\n' % (_file, _line))
            traceback.print_exception(kind, value, tb)
        sys.excepthook = _linger_report

        """
        let file = scriptPath.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
        for sample in codeSamples {
            for symbol in TCPInfoLayout.symbolicNames { text += "\(symbol.name) = \(symbol.value)\n" }
            for value in sample.values { text += "\(value.name) = \(value.value)\n" }
            text += "\n_file = '\(file)'\n_line = \(sample.line)\n\(sample.text)\n\n"
        }
        return text
    }

    /// What the collected code gave when it was evaluated without Python.
    enum CodeVerdict: Equatable {
        case passed
        /// Python's exit status and what it would have written.
        case failed(status: Int32, output: String)
    }

    /// Whether the code command is a Python interpreter, whose meaning
    /// ``CodeBlockEvaluator`` reproduces (another command may do anything).
    var codeCommandIsPython: Bool {
        let base = configuration.codeCommand.split(separator: "/").last ?? ""
        return base.hasPrefix("python") && !base.contains(where: { $0 == " " || $0 == "\t" })
    }

    /// The collected code's verdict computed in-process, when every block is in
    /// ``CodeBlockEvaluator``'s subset of Python and evaluates inside it; nil when
    /// Python itself must run the program. The verdict and what Python prints for a
    /// failed assertion are Python's: the excepthook's `FILE:LINE: error in Python
    /// code` line, the traceback (its frame naming the script's line rather than the
    /// temporary file, and without the column markers some Python versions add) and
    /// `AssertionError: MESSAGE`.
    func evaluateCodeInProcess() -> CodeVerdict? {
        guard codeCommandIsPython else { return nil }
        // Python compiles the whole program before running any of it.
        var blocks: [CodeBlockEvaluator] = []
        blocks.reserveCapacity(codeSamples.count)
        for sample in codeSamples {
            guard let block = CodeBlockEvaluator(sample.text) else { return nil }
            blocks.append(block)
        }
        // The program binds the constants, then each sample's fields, at module level:
        // a name keeps the last value bound to it.
        var names: [String: UInt64] = [:]
        for symbol in TCPInfoLayout.symbolicNames { names[symbol.name] = symbol.value }
        for (sample, block) in zip(codeSamples, blocks) {
            for value in sample.values { names[value.name] = value.value }
            let outcome = block.run { name in
                guard let value = names[name], value <= UInt64(Int64.max) else { return nil }
                return Int64(value)
            }
            switch outcome {
            case .passed:
                continue
            case .outsideSubset:
                return nil
            case .failed(let offset, let source, let error):
                let output = "\(scriptPath):\(sample.line): error in Python code\n"
                    + "Traceback (most recent call last):\n"
                    + "  File \"\(scriptPath)\", line \(sample.blockLine + offset), in <module>\n"
                    + "    \(source)\n\(error)\n"
                return .failed(status: 1, output: output)
            }
        }
        return .passed
    }

    /// code_execute: evaluates the collected code in-process when it is in
    /// ``CodeBlockEvaluator``'s subset, else runs it with the code command (python3),
    /// or notes that it was skipped when that is missing.
    func executeCode() throws(RunFailure) {
        guard !codeSamples.isEmpty else { return }
        switch evaluateCodeInProcess() {
        case .passed?:
            return
        case .failed(let status, let output)?:
            warnings.append(output)
            throw .script("\(scriptPath): error executing code: '\(configuration.codeCommand)' returned non-zero status \(status)\n\(output)")
        case nil:
            break
        }
        let probe = try runShell("command -v \(configuration.codeCommand) >/dev/null 2>&1")
        if probe.status != 0 {
            warnings.append("\(scriptPath): \(codeSamples.count) code block(s) skipped: '\(configuration.codeCommand)' was not found")
            return
        }
        let path = NSTemporaryDirectory() + "linger_code_\(UInt64.random(in: 0...UInt64.max)).py"
        do {
            try pythonProgram().write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw .script("\(scriptPath): error executing code: cannot write \(path): \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let outcome = try runShell("\(configuration.codeCommand) \(path)")
        if !outcome.output.isEmpty { warnings.append(outcome.output) }
        if outcome.status != 0 {
            throw .script("\(scriptPath): error executing code: '\(configuration.codeCommand)' returned non-zero status \(outcome.status)\(outcome.output.isEmpty ? "" : "\n" + outcome.output)")
        }
    }
}
