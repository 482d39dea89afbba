/// Where the authenticators find virtual keys by secret: ``KeyResolver`` (the cache, then PostgreSQL) in the
/// gateway; an in-memory table in router tests.
protocol KeyLookup: Sendable {
    /// Unknown keys per client address, checked before a lookup.
    var failures: FailedAuthLimiter { get }
    /// The key whose secret is `secret`; nil when there is none. Throws the `503 key_store_unavailable`
    /// answer when keys cannot be looked up.
    func key(secret: String) async throws -> VirtualKey?
}

extension KeyResolver: KeyLookup {}
