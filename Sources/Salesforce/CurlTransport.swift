import SalesforceModel
import CCurl
public import Foundation

/// The libcurl transport: one reused easy handle (so connections are kept
/// alive) on one thread of its own (blocking curl calls never run on Swift's
/// cooperative pool). Requests on one transport run one after another.
///
/// TLS is always verified — against the system's CAs, or a private CA's bundle (`caBundle`: `--ca-bundle`,
/// `SFSH_CA_BUNDLE`); proxies come from the standard environment variables (libcurl reads `https_proxy`,
/// `no_proxy`, …, see `NetworkRoute`); gzip is accepted.
public final class CurlTransport: HTTPTransport, @unchecked Sendable {
    private let worker: CurlWorker
    private let limits: TransferLimits

    /// - Parameters:
    ///   - stallSeconds: a request whose answer moves slower than 32 bytes/s for this long is given up
    ///     (a server that drips a byte a second holds no one for minutes).
    ///   - isInterrupted: asked while a request is in flight (Ctrl-C); true aborts it.
    ///   - caBundle: a PEM file of the CAs to trust instead of the system's (a corporate TLS-inspecting proxy's CA).
    public init(connectTimeout: TimeInterval = 15, stallSeconds: Int = 30, caBundle: String? = nil,
                isInterrupted: @escaping @Sendable () -> Bool = { false }) {
        worker = CurlWorker(connectTimeout: connectTimeout)
        limits = TransferLimits(stallSeconds: max(1, stallSeconds), caBundle: caBundle, isInterrupted: isInterrupted)
    }

    public func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        let cancelled = CancelFlag()
        let limits = self.limits
        let result: Result<HTTPResponse, TransportError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                worker.enqueue { handle in
                    continuation.resume(returning: handle?.perform(request, limits: limits, cancelled: cancelled)
                        ?? .failure(.connection(url: EasyHandle.redacted(request.url),
                                                reason: sfsh_curl_load_error().map { String(cString: $0) } ?? "libcurl could not create a handle")))
                }
            }
        } onCancel: {
            cancelled.set()
        }
        return try result.get()
    }
}

/// What every transfer of a transport is held to.
struct TransferLimits: Sendable {
    var stallSeconds: Int
    var caBundle: String?
    var isInterrupted: @Sendable () -> Bool
}

/// Set when the task that sent a request is cancelled; read by the transfer's progress callback.
final class CancelFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// The thread that owns the easy handle.
private final class CurlWorker: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [(EasyHandle?) -> Void] = []

    init(connectTimeout: TimeInterval) {
        let thread = Thread { [self] in
            // libcurl is loaded and its handle made with the first request, not when a session starts (issue 25).
            var handle: EasyHandle??
            while true {
                condition.lock()
                while jobs.isEmpty { condition.wait() }
                let job = jobs.removeFirst()
                condition.unlock()
                if handle == nil {
                    _ = CurlWorker.globalInit
                    handle = .some(EasyHandle(connectTimeout: connectTimeout))
                }
                job(handle ?? nil)
            }
        }
        thread.name = "sfsh-curl"
        thread.start()
    }

    static let globalInit: Void = { sfsh_curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    func enqueue(_ job: @escaping (EasyHandle?) -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }
}

/// Owns a CURL easy handle; not Sendable: it lives on its worker thread.
private final class EasyHandle {
    private let handle: UnsafeMutableRawPointer
    private let connectTimeout: TimeInterval

    /// Nil when libcurl cannot make a handle (out of memory, or libcurl missing: it is loaded now, `CCurl`): every
    /// request then fails with that reason.
    init?(connectTimeout: TimeInterval) {
        guard let handle = sfsh_curl_easy_init() else { return nil }
        self.handle = handle
        self.connectTimeout = connectTimeout
    }

    deinit { sfsh_curl_easy_cleanup(handle) }

    /// Where an empty body points: libcurl wants a pointer even for zero bytes.
    nonisolated(unsafe) static let emptyBody = UnsafeRawPointer(UnsafeMutablePointer<UInt8>.allocate(capacity: 1))

    /// Collects what libcurl hands to the callbacks.
    final class Sink {
        var body = Data()
        var headers: [(String, String)] = []
        var limit = 0
        var overflowed = false
        var interrupted = false
        var limits: TransferLimits
        var cancelled: CancelFlag

        init(limit: Int, limits: TransferLimits, cancelled: CancelFlag) {
            self.limit = limit
            self.limits = limits
            self.cancelled = cancelled
        }
    }

    func perform(_ request: HTTPRequest, limits: TransferLimits, cancelled: CancelFlag) -> Result<HTTPResponse, TransportError> {
        // reset keeps the connection cache, so keep-alive survives between requests.
        sfsh_curl_easy_reset(handle)
        let sink = Sink(limit: request.maxResponseBytes, limits: limits, cancelled: cancelled)
        let context = Unmanaged.passUnretained(sink).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { sfsh_curl_slist_free_all(headerList) }
        for (name, value) in request.headers {
            headerList = sfsh_curl_slist_append(headerList, "\(name): \(value)")
        }
        // Without this, libcurl sends "Expect: 100-continue" on large bodies and waits.
        headerList = sfsh_curl_slist_append(headerList, "Expect:")

        sfsh_curl_set_string(handle, CURLOPT_URL, request.url)
        sfsh_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
        sfsh_curl_set_pointer(handle, CURLOPT_HTTPHEADER, headerList)
        sfsh_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        // libcurl retries a request on a new connection when a reused one dies before any answer
        // byte (transfer.c, Curl_retry_request): right for a GET, a possible second create for a POST.
        // On a connection of its own the request is sent once; a failure is reported, not repeated.
        sfsh_curl_set_long(handle, CURLOPT_FRESH_CONNECT, request.freshConnection ? 1 : 0)
        sfsh_curl_set_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        sfsh_curl_set_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        if let caBundle = limits.caBundle { sfsh_curl_set_string(handle, CURLOPT_CAINFO, caBundle) }
        sfsh_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        sfsh_curl_set_string(handle, CURLOPT_ACCEPT_ENCODING, "")
        sfsh_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Int(request.timeout * 1000))
        sfsh_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000))
        // Slower than 32 bytes/s for `stallSeconds`: given up, and reported as stalled.
        sfsh_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, 32)
        sfsh_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, limits.stallSeconds)
        // A declared length past the limit is refused before any byte; an undeclared one is cut off in the sink.
        sfsh_curl_set_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(request.maxResponseBytes))
        sfsh_curl_set_long(handle, CURLOPT_NOPROGRESS, 0)
        sfsh_curl_set_progress(handle) { context, _, _, _, _ in
            guard let context else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
            if sink.cancelled.isSet || sink.limits.isInterrupted() {
                sink.interrupted = true
                return 1
            }
            return 0
        }
        sfsh_curl_set_pointer(handle, CURLOPT_XFERINFODATA, context)
        if request.method == "HEAD" { sfsh_curl_set_long(handle, CURLOPT_NOBODY, 1) }
        if let body = request.body {
            sfsh_curl_set_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBytes { bytes in
                // COPYPOSTFIELDS copies, so the buffer need not outlive this call.
                _ = sfsh_curl_set_pointer(handle, CURLOPT_COPYPOSTFIELDS,
                                          UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? Self.emptyBody))
            }
        }
        sfsh_curl_set_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            // WRITEDATA is always the sink (set below), so the context is never nil.
            guard let context else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
            // Decompressed bytes arrive here, so a gzip bomb stops at the limit too.
            if sink.body.count + size * count > sink.limit {
                sink.overflowed = true
                return 0
            }
            if let data { sink.body.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: size * count) }
            return size * count
        }
        sfsh_curl_set_pointer(handle, CURLOPT_WRITEDATA, context)
        sfsh_curl_set_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            guard let context else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
            guard let data else { return size * count }
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
            if line.hasPrefix("HTTP/") {
                sink.headers = []  // a new response (after a redirect or 100 Continue)
            } else if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].trimmingCharacters(in: .whitespaces)
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                sink.headers.append((name, value))
            }
            return size * count
        }
        sfsh_curl_set_pointer(handle, CURLOPT_HEADERDATA, context)

        let started = Date()
        let code = sfsh_curl_easy_perform(handle)
        guard code == CURLE_OK else {
            return .failure(Self.failure(code, url: Self.redacted(request.url), sink: sink, request: request, limits: limits,
                                         elapsed: Date().timeIntervalSince(started)))
        }
        var status = 0
        sfsh_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPResponse(status: status, headers: sink.headers, body: sink.body))
    }

    /// Why a transfer failed, from libcurl's code and what the callbacks saw.
    static func failure(_ code: CURLcode, url: String, sink: Sink, request: HTTPRequest, limits: TransferLimits,
                        elapsed: TimeInterval) -> TransportError {
        let reason = String(cString: sfsh_curl_easy_strerror(code))
        if sink.overflowed || code == CURLE_FILESIZE_EXCEEDED { return .tooLarge(url: url, limit: request.maxResponseBytes) }
        if sink.interrupted || code == CURLE_ABORTED_BY_CALLBACK { return .interrupted(url: url) }
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            // libcurl says "timed out" for the low-speed limit too; the elapsed time tells them apart.
            return elapsed >= request.timeout - 0.5 ? .timedOut(url: url) : .stalled(url: url, seconds: limits.stallSeconds)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .invalidRequest("\(reason): \(url)")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            return .insecure(url: url, reason: reason)
        default:
            return .connection(url: url, reason: reason)
        }
    }

    /// The URL without its query, which may carry tokens or SOQL.
    static func redacted(_ url: String) -> String {
        url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
    }
}
