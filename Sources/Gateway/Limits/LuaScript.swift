import Crypto

/// A Lua script for Redis with its SHA-1, which is the name Redis's script cache gives it.
///
/// Knowing the name up front lets every call be one `EVALSHA`, with no table of loaded scripts to
/// consult or lock; a Redis that does not have the script (restarted, flushed, a new replica) answers
/// `NOSCRIPT`, and that one call is sent as `EVAL`, which also puts the script back in the cache.
struct LuaScript: Sendable {
    let source: String
    /// Lower-case hex SHA-1 of ``source``: what `SCRIPT LOAD` answers.
    let sha1: String

    init(_ source: String) {
        self.source = source
        self.sha1 = Hex.string(Insecure.SHA1.hash(data: Array(source.utf8)))
    }
}
