public import Hummingbird
import Logging

/// A Hummingbird server on 127.0.0.1 that is running once `start` returns: sfsim and the web login's callback
/// listener both start this way.
public enum LoopbackServer {
    public enum StartError: Error, Equatable {
        case couldNotListen(port: Int)
    }

    /// Serves `responder` on 127.0.0.1:`port` (0: any free port); returns the bound port and the task that serves
    /// until cancelled. Throws when nothing could listen.
    public static func start<Responder: HTTPResponder>(port: Int, responder: Responder, label: String) async throws
        -> (port: Int, task: Task<Void, any Error>)
        where Responder.Context: InitializableFromSource<ApplicationRequestContextSource>
    {
        var logger = Logger(label: label)
        logger.logLevel = .critical
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
                              onServerRunning: { channel in
                                  portContinuation.yield(channel.localAddress?.port ?? 0)
                                  portContinuation.finish()
                              }, logger: logger)
        let task = Task {
            // If the server cannot start, end the wait for its port.
            defer { portContinuation.finish() }
            try await app.runService(gracefulShutdownSignals: [])
        }
        var bound = 0
        for await value in portStream {
            bound = value
            break
        }
        guard bound > 0 else {
            task.cancel()
            throw StartError.couldNotListen(port: port)
        }
        return (bound, task)
    }
}
