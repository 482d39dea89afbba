import Testing
@testable import Redis

@Suite("RedisURL(parsing:)")
struct RedisURLTests {
    @Test(arguments: [
        ("redis://127.0.0.1:6379/0", RedisURL(host: "127.0.0.1", port: 6379, database: 0)),
        ("redis://localhost", RedisURL(host: "localhost")),
        ("redis://cache:6380", RedisURL(host: "cache", port: 6380)),
        ("redis://cache/3", RedisURL(host: "cache", database: 3)),
        ("redis://cache:6379/", RedisURL(host: "cache")),
        ("redis://:pa55@cache:6379/1", RedisURL(host: "cache", password: "pa55", database: 1)),
        ("redis://alice:pa55@cache", RedisURL(host: "cache", user: "alice", password: "pa55")),
        ("redis://onlypassword@cache", RedisURL(host: "cache", password: "onlypassword")),
        ("redis://alice:p@ss:w0rd@cache:7000/2", RedisURL(host: "cache", port: 7000, user: "alice", password: "p@ss:w0rd", database: 2)),
        ("redis://", RedisURL()),
        ("redis://:6390", RedisURL(port: 6390)),
    ])
    func parses(text: String, expected: RedisURL) throws {
        #expect(try RedisURL(parsing: text) == expected)
    }

    @Test(arguments: [
        "http://cache:6379", "rediss://cache", "cache:6379", "",
        "redis://cache:0", "redis://cache:65536", "redis://cache:port", "redis://cache:",
        "redis://cache/db", "redis://cache/-1", "redis://cache/1/2",
    ])
    func refusesBadURLs(text: String) {
        let error = #expect(throws: RedisError.self) { try RedisURL(parsing: text) }
        #expect(error?.code == .badURL)
        #expect(error?.message.isEmpty == false)
    }

    @Test func defaults() {
        let url = RedisURL()
        #expect(url.host == "127.0.0.1")
        #expect(url.port == 6379)
        #expect(url.database == 0)
        #expect(url.user == nil)
        #expect(url.password == nil)
    }
}
