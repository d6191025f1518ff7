import NIOCore

/// Runs a task's jobs on one event loop. A terminal's session task prefers its channel's loop,
/// so a frame read on the loop resumes the session on the same thread, and the answer it writes
/// goes back to the channel without a hop. (NIO makes its loops serial executors for actors,
/// not task executors.)
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
