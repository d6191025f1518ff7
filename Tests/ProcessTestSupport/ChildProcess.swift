import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Child processes as the tests run them (fleetd, gps808, gpsfake, HAProxy, openssl, curl),
/// always awaited by polling and never with `waitUntilExit()`: that holds one of the
/// cooperative pool's threads (two on the CI machine) for as long as the child runs, and two
/// such waits stop every test in the process, including the ones the children are waiting for.
/// Every wait has a limit, so a child that hangs is a failing test, not a test run that never ends.
extension Process {
    /// Its exit status once it has exited, or nil if it is still running after `limit`.
    public func exitStatus(within limit: Duration) async -> Int32? {
        let end = ContinuousClock.now + limit
        while isRunning {
            guard ContinuousClock.now < end else { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return terminationStatus
    }

    /// Asks it to stop with `signal` (SIGINT, as Ctrl-C at a terminal; SIGTERM, as systemd) and
    /// waits up to `limit`; a child still running then is killed. Its exit status if it stopped
    /// by itself, nil if it had to be killed.
    public func stop(_ signal: Int32 = SIGINT, within limit: Duration = .seconds(30)) async -> Int32? {
        guard isRunning else { return terminationStatus }
        kill(processIdentifier, signal)
        if let status = await exitStatus(within: limit) { return status }
        kill(processIdentifier, SIGKILL)
        _ = await exitStatus(within: .seconds(10))
        return nil
    }

    /// Killed without waiting: for cleanup after a test, in a `defer` that cannot await.
    public func killIfRunning() {
        if isRunning { kill(processIdentifier, SIGKILL) }
    }
}

/// A command run to its end: its exit status and what it printed.
public struct ChildOutput: Sendable, CustomStringConvertible {
    public let status: Int32
    public let out: String
    public let err: String

    public var description: String { "exit \(status)\nstdout: \(out)\nstderr: \(err)" }

    /// Runs `executable` with `arguments` (in `directory`, with `environment` added to this
    /// process's), feeds it `stdin`, and awaits its end up to `limit`, after which it is killed
    /// and its status is SIGKILL's. Its output goes to files: an output pipe that fills up while
    /// nobody reads it would stop the child.
    public static func run(
        _ executable: URL, _ arguments: [String], stdin: String? = nil, directory: URL? = nil, environment: [String: String] = [:],
        within limit: Duration = .seconds(120)
    ) async throws -> ChildOutput {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (outFile, errFile) = (folder.appendingPathComponent("out"), folder.appendingPathComponent("err"))
        for file in [outFile, errFile] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        // Standard input is a pipe, as in a shell pipeline (`fleetd decode --file /dev/stdin` reads one).
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        var status = await process.exitStatus(within: limit)
        var err = String(decoding: try Data(contentsOf: errFile), as: UTF8.self)
        if status == nil {
            process.killIfRunning()
            _ = await process.exitStatus(within: .seconds(10))
            (status, err) = (SIGKILL, err + "\n(killed: still running after \(limit))")
        }
        return ChildOutput(status: status ?? SIGKILL, out: String(decoding: try Data(contentsOf: outFile), as: UTF8.self), err: err)
    }
}
