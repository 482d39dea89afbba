internal import CCurl

/// Owns the process's `CURLM` handle. Only ``EngineLoop`` drives it; ``wakeup()`` is the one call
/// libcurl allows from any thread, which is what makes the unchecked `Sendable` sound.
final class MultiHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer

    init() {
        guard let raw = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        self.raw = raw
    }

    deinit {
        curl_multi_cleanup(raw)
    }

    /// Interrupts `curl_multi_poll` so the loop sees newly queued commands.
    func wakeup() {
        curl_multi_wakeup(raw)
    }
}
