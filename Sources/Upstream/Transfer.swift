internal import CCurl
import Foundation

/// One easy handle on the curl thread: its options, header list, error buffer and deadlines.
///
/// The deadlines are kept here, where the bytes arrive, rather than in libcurl's `LOW_SPEED_*` and
/// `TIMEOUT_MS` options: libcurl would report all of them as one `CURLE_OPERATION_TIMEDOUT`, while the loop
/// tells a silent upstream from a slow one from a late first byte, and does not count the time a transfer
/// is paused because its reader (the client) is slow as upstream silence.
///
/// Confined to the curl thread. The easy handle's callbacks reach this object through an unretained
/// pointer; the loop's table of active transfers keeps it alive until the handle is removed from the multi.
final class Transfer {
    let id: Int
    let easy: UnsafeMutableRawPointer
    let state: TransferState
    let firstByteDeadline: ContinuousClock.Instant
    /// When the whole transfer must be over (nil: no bound).
    let totalDeadline: ContinuousClock.Instant?
    /// Longest silence allowed between body bytes once the body began (nil: no bound).
    let idleTimeout: Duration?
    private(set) var receivedFirstByte = false
    /// When curl last handed over body bytes, or the transfer was resumed after a pause.
    private var lastActivity: ContinuousClock.Instant
    /// True while the transfer is paused for backpressure; silence then is the reader's, not the upstream's.
    private(set) var isPaused = false
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var resolveList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init(id: Int, request: UpstreamRequest, state: TransferState) throws {
        guard let easy = curl_easy_init() else {
            throw UpstreamError(.transferFailed, message: "curl_easy_init failed")
        }
        self.id = id
        self.easy = easy
        self.state = state
        let now = ContinuousClock.now
        self.firstByteDeadline = now + request.connectTimeout + request.firstByteTimeout
        self.totalDeadline = request.totalTimeout.map { now + $0 }
        self.idleTimeout = request.idleTimeout
        self.lastActivity = now
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        try configure(request)
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        curl_slist_free_all(resolveList)
        errorBuffer.deallocate()
    }

    private func configure(_ request: UpstreamRequest) throws {
        try check(ccurl_setopt_string(easy, CURLOPT_URL, request.url))
        try check(ccurl_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        try check(ccurl_setopt_long(easy, CURLOPT_TCP_NODELAY, 1))
        try check(ccurl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeout.milliseconds))
        try check(ccurl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        try check(ccurl_setopt_pointer(easy, CURLOPT_PRIVATE, Unmanaged.passUnretained(self).toOpaque()))
        try check(ccurl_setopt_write_callback(easy, CURLOPT_WRITEFUNCTION, transferWriteCallback))
        try check(ccurl_setopt_pointer(easy, CURLOPT_WRITEDATA, Unmanaged.passUnretained(self).toOpaque()))

        // "Expect:" stops curl from waiting for 100-continue before sending large bodies.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            headerList = curl_slist_append(headerList, line)
        }
        try check(ccurl_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList))

        if let protocols = request.allowedProtocols {
            try check(ccurl_setopt_string(easy, CURLOPT_PROTOCOLS_STR, protocols))
            try check(ccurl_setopt_string(easy, CURLOPT_REDIR_PROTOCOLS_STR, protocols))
        }
        if let maxBodyBytes = request.maxBodyBytes {
            try check(ccurl_setopt_off_t(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(maxBodyBytes)))
        }
        if !request.pinnedAddresses.isEmpty {
            for entry in request.pinnedAddresses { resolveList = curl_slist_append(resolveList, entry) }
            try check(ccurl_setopt_slist(easy, CURLOPT_RESOLVE, resolveList))
            // A proxy from the environment would resolve the host itself and bypass the pin.
            try check(ccurl_setopt_string(easy, CURLOPT_PROXY, ""))
        }

        switch request.method {
        case "GET": try check(ccurl_setopt_long(easy, CURLOPT_HTTPGET, 1))
        case "HEAD": try check(ccurl_setopt_long(easy, CURLOPT_NOBODY, 1))
        case "POST": break
        default: try check(ccurl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method))
        }
        if let body = request.body {
            try check(ccurl_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            // COPYPOSTFIELDS copies the bytes, so the array need not outlive this call.
            try body.withUnsafeBytes { bytes in
                try check(ccurl_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress)))
            }
        }
    }

    /// Called from curl's write callback with the next body bytes.
    fileprivate func receive(_ bytes: UnsafeRawBufferPointer) -> Int {
        if !receivedFirstByte { recordHead() }
        receivedFirstByte = true
        lastActivity = .now
        switch state.deliver(Array(bytes), status: responseCode) {
        case .accepted: return bytes.count
        case .pause:
            isPaused = true
            return ccurl_writefunc_pause
        case .abort: return 0
        }
    }

    /// The reader drained the buffer: the transfer goes on, and the idle bound counts from now.
    func resume() {
        isPaused = false
        lastActivity = .now
        curl_easy_pause(easy, ccurl_pause_cont)
    }

    /// The first deadline this transfer has not met by `now`, if any, and else when the next one falls.
    /// Called for every transfer on every turn of the engine loop: it allocates nothing unless one expired.
    func deadline(at now: ContinuousClock.Instant) -> (expired: UpstreamError?, next: ContinuousClock.Instant?) {
        var nearest: (at: ContinuousClock.Instant, limit: Limit)?
        func consider(_ at: ContinuousClock.Instant, _ limit: Limit) {
            if let current = nearest, current.at <= at { return }
            nearest = (at, limit)
        }
        if let totalDeadline { consider(totalDeadline, .total) }
        if !receivedFirstByte {
            consider(firstByteDeadline, .firstByte)
        } else if let idleTimeout, !isPaused {
            consider(lastActivity + idleTimeout, .idle)
        }
        guard let nearest else { return (nil, nil) }
        guard nearest.at <= now else { return (nil, nearest.at) }
        return (expiredError(nearest.limit), nil)
    }

    /// The deadlines a transfer can miss.
    private enum Limit { case total, firstByte, idle }

    private func expiredError(_ limit: Limit) -> UpstreamError {
        switch limit {
        case .total: UpstreamError(.totalTimeout, message: "the upstream call took longer than its time limit")
        case .firstByte: UpstreamError(.firstByteTimeout, message: "no response from upstream in time")
        case .idle: UpstreamError(.idleTimeout, message: "the upstream sent nothing for \(idleTimeout ?? .zero) mid-response")
        }
    }

    /// Hands the response's content type and redirect target to the state, before its head is delivered.
    func recordHead() {
        state.recordHead(ResponseHead(contentType: infoString(CURLINFO_CONTENT_TYPE), redirectURL: infoString(CURLINFO_REDIRECT_URL)))
    }

    private func infoString(_ info: CURLINFO) -> String? {
        var pointer: UnsafeMutableRawPointer?
        guard ccurl_getinfo_pointer(easy, info, &pointer) == CURLE_OK, let pointer else { return nil }
        return String(cString: pointer.assumingMemoryBound(to: CChar.self))
    }

    var responseCode: Int {
        var code = 0
        _ = ccurl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    /// The error buffer's text, or libcurl's generic text for `code`.
    func errorText(_ code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }

    /// Maps a finished transfer's `CURLcode` to its outcome.
    func outcome(_ code: CURLcode) -> Result<Void, UpstreamError> {
        switch code {
        case CURLE_OK:
            return .success(())
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .failure(UpstreamError(.connectFailed, message: errorText(code)))
        case CURLE_OPERATION_TIMEDOUT where !receivedFirstByte:
            return .failure(UpstreamError(.connectTimeout, message: errorText(code)))
        default:
            if code == CURLE_WRITE_ERROR && receivedFirstByte {
                return .failure(UpstreamError(.cancelled, message: "transfer cancelled"))
            }
            return .failure(UpstreamError(.transferFailed, message: errorText(code)))
        }
    }

    private func check(_ code: CURLcode) throws {
        guard code == CURLE_OK else {
            throw UpstreamError(.transferFailed, message: "curl option failed: \(String(cString: curl_easy_strerror(code)))")
        }
    }

    static func from(easy: UnsafeMutableRawPointer) -> Transfer? {
        var pointer: UnsafeMutableRawPointer?
        guard ccurl_getinfo_pointer(easy, CURLINFO_PRIVATE, &pointer) == CURLE_OK, let pointer else { return nil }
        return Unmanaged<Transfer>.fromOpaque(pointer).takeUnretainedValue()
    }
}

private let transferWriteCallback: curl_write_callback = { buffer, size, count, userdata in
    guard let userdata else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.receive(UnsafeRawBufferPointer(start: buffer, count: size * count))
}

extension Duration {
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
