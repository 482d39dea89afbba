import Foundation
import Testing
@testable import Gateway

@Suite("UsageBacklog: the cost PostgreSQL does not have yet")
struct UsageBacklogTests {
    private func record(_ id: String, key: String, user: String?, cost: Int64) -> UsageRecord {
        var record = UsageRecord(
            requestID: id, keyID: key, userID: user, dialect: "openai", endpoint: "/v1/chat/completions", stream: false, outcome: .ok,
            httpStatus: 200, startedAt: Date()
        )
        record.costMicros = cost
        return record
    }

    @Test func costsAddUpPerKeyAndPerUserUntilWritten() {
        let backlog = UsageBacklog()
        let a = record("1", key: "k1", user: "alice", cost: 10)
        let b = record("2", key: "k2", user: "alice", cost: 5)
        let c = record("3", key: "k1", user: nil, cost: 7)
        backlog.add([a, b, c])
        #expect(backlog.cost(scope: "key", id: "k1") == 17)
        #expect(backlog.cost(scope: "key", id: "k2") == 5)
        #expect(backlog.cost(scope: "user", id: "alice") == 15)
        #expect(backlog.cost(scope: "user", id: "bob") == 0)
        backlog.remove([a, c])
        #expect(backlog.cost(scope: "key", id: "k1") == 0)
        #expect(backlog.cost(scope: "user", id: "alice") == 5)
        backlog.remove([b])
        #expect(backlog.cost(scope: "user", id: "alice") == 0)
    }
}
