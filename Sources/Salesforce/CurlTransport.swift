import CCurl
import Foundation

/// The libcurl transport: one reused easy handle (so connections are kept
/// alive) on one thread of its own (blocking curl calls never run on Swift's
/// cooperative pool). Requests on one transport run one after another.
///
/// TLS is always verified; proxies come from the standard environment
/// variables (libcurl reads `https_proxy`, `no_proxy`, …); gzip is accepted.
public final class CurlTransport: HTTPTransport, @unchecked Sendable {
    private let worker: CurlWorker

    public init(connectTimeout: TimeInterval = 15) {
        worker = CurlWorker(connectTimeout: connectTimeout)
    }

    public func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        let result: Result<HTTPResponse, TransportError> = await withCheckedContinuation { continuation in
            worker.enqueue { handle in
                continuation.resume(returning: handle?.perform(request)
                    ?? .failure(.connection(url: EasyHandle.redacted(request.url), reason: "libcurl could not create a handle")))
            }
        }
        return try result.get()
    }
}

/// The thread that owns the easy handle.
private final class CurlWorker: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [(EasyHandle?) -> Void] = []

    init(connectTimeout: TimeInterval) {
        _ = CurlWorker.globalInit
        let thread = Thread { [self] in
            let handle = EasyHandle(connectTimeout: connectTimeout)
            while true {
                condition.lock()
                while jobs.isEmpty { condition.wait() }
                let job = jobs.removeFirst()
                condition.unlock()
                job(handle)
            }
        }
        thread.name = "sfsh-curl"
        thread.start()
    }

    static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()

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

    /// Nil when libcurl cannot make a handle (out of memory): every request then fails with that reason.
    init?(connectTimeout: TimeInterval) {
        guard let handle = curl_easy_init() else { return nil }
        self.handle = handle
        self.connectTimeout = connectTimeout
    }

    deinit { curl_easy_cleanup(handle) }

    /// Where an empty body points: libcurl wants a pointer even for zero bytes.
    nonisolated(unsafe) static let emptyBody = UnsafeRawPointer(UnsafeMutablePointer<UInt8>.allocate(capacity: 1))

    /// Collects what libcurl hands to the callbacks.
    final class Sink {
        var body = Data()
        var headers: [(String, String)] = []
    }

    func perform(_ request: HTTPRequest) -> Result<HTTPResponse, TransportError> {
        // reset keeps the connection cache, so keep-alive survives between requests.
        curl_easy_reset(handle)
        let sink = Sink()
        let context = Unmanaged.passUnretained(sink).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for (name, value) in request.headers {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        // Without this, libcurl sends "Expect: 100-continue" on large bodies and waits.
        headerList = curl_slist_append(headerList, "Expect:")

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
        sfsh_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        sfsh_curl_set_string(handle, CURLOPT_ACCEPT_ENCODING, "")
        sfsh_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Int(request.timeout * 1000))
        sfsh_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000))
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

        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            let reason = String(cString: curl_easy_strerror(code))
            if code == CURLE_OPERATION_TIMEDOUT { return .failure(.timedOut(url: Self.redacted(request.url))) }
            if code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL {
                return .failure(.invalidRequest("\(reason): \(Self.redacted(request.url))"))
            }
            return .failure(.connection(url: Self.redacted(request.url), reason: reason))
        }
        var status = 0
        sfsh_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPResponse(status: status, headers: sink.headers, body: sink.body))
    }

    /// The URL without its query, which may carry tokens or SOQL.
    static func redacted(_ url: String) -> String {
        url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
    }
}
