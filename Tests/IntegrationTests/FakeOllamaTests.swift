import FakeOllama
import Foundation
import Glibc
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Checks the fake Ollama server against the wire format it imitates (wire-formats.md §1, §2, §6).
@Suite("FakeOllama")
struct FakeOllamaTests {
    struct Reply {
        var status: Int
        var contentType: String?
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        /// NDJSON objects: the body split on `\n` only (never on U+0085/U+2028), each line parsed.
        func lines() throws -> [[String: Any]] {
            #expect(body.last == 0x0A, "NDJSON must end with a newline")
            return try body.split(separator: 0x0A).map { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            }
        }
    }

    /// Sends a request without client-side timeouts getting in the way.
    func send(_ fake: FakeOllama, _ path: String, method: String = "POST", body: String? = nil) async throws -> Reply {
        let url = try #require(URL(string: fake.baseURL + path))
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return Reply(status: http.statusCode, contentType: http.value(forHTTPHeaderField: "Content-Type"), body: data)
    }

    /// Runs `body` against a fresh fake and always stops it afterwards.
    func withFake(_ behavior: FakeOllamaBehavior = .init(), _ body: (FakeOllama) async throws -> Void) async throws {
        let fake = try await FakeOllama.start(behavior: behavior)
        do {
            try await body(fake)
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }

    static let chatBody = #"{"model":"llama3.2","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello there, how are you?"}]}"#

    @Test func streamsNDJSONByDefault() async throws {
        try await withFake { fake in
            let reply = try await send(fake, "/api/chat", body: Self.chatBody)
            #expect(reply.status == 200)
            #expect(reply.contentType == "application/x-ndjson")
            let lines = try reply.lines()
            try #require(lines.count == 6)
            for chunk in lines.dropLast() {
                #expect(chunk["model"] as? String == "llama3.2")
                #expect(chunk["done"] as? Bool == false)
                let message = try #require(chunk["message"] as? [String: Any])
                #expect(message["role"] as? String == "assistant")
                #expect(message["content"] as? String == "word ")
                let created = try #require(chunk["created_at"] as? String)
                #expect(created.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z/) != nil)
                #expect(chunk["eval_count"] == nil)
            }
            let final = try #require(lines.last)
            #expect(final["done"] as? Bool == true)
            #expect(final["done_reason"] as? String == "stop")
            // (2 words + 4) + (5 words + 4)
            #expect(final["prompt_eval_count"] as? Int == 15)
            #expect(final["eval_count"] as? Int == 5)
            for key in ["total_duration", "load_duration", "prompt_eval_duration", "eval_duration"] {
                #expect((final[key] as? Int ?? 0) > 0, "\(key)")
            }
            // Key order follows Ollama's Go structs.
            let raw = String(decoding: reply.body, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            #expect(raw.hasPrefix(#"{"model":"llama3.2","created_at":"#))
            #expect(raw.contains(#""message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":"#))
        }
    }

    @Test func nonStreamingAndLengthLimit() async throws {
        try await withFake(.init(includeMetrics: false)) { fake in
            let reply = try await send(fake, "/api/chat", body: #"{"model":"LLAMA3.2:latest","stream":false,"options":{"num_predict":3},"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(reply.contentType == "application/json; charset=utf-8")
            #expect(reply.json["model"] as? String == "LLAMA3.2:latest")
            #expect((reply.json["message"] as? [String: Any])?["content"] as? String == "word word word ")
            #expect(reply.json["done_reason"] as? String == "length")
            #expect(reply.json["prompt_eval_count"] == nil && reply.json["eval_count"] == nil)

            let generate = try await send(fake, "/api/generate", body: #"{"model":"llama3.2","prompt":"hi","stream":false}"#)
            #expect(generate.json["response"] as? String == "word word word word word ")
            let load = try await send(fake, "/api/chat", body: #"{"model":"llama3.2","messages":[]}"#)
            #expect(load.json["done_reason"] as? String == "load")
            let unload = try await send(fake, "/api/generate", body: #"{"model":"llama3.2","keep_alive":0}"#)
            #expect(unload.json["done_reason"] as? String == "unload")
        }
    }

    @Test func errorsMatchOllama() async throws {
        try await withFake { fake in
            let cases: [(String, Int, String)] = [
                ("", 400, "missing request body"),
                (#"{"model":"#, 400, "unexpected EOF"),
                (#"{"messages":[]}"#, 400, "model is required"),
                (#"{"model":"gpt-4o","messages":[]}"#, 404, "model 'gpt-4o' not found"),
                (#"{"model":"llama3.2","think":true,"messages":[{"role":"user","content":"x"}]}"#, 400, #""llama3.2" does not support thinking"#),
                (#"{"model":"llama3.2","options":{"stop":"x"},"messages":[{"role":"user","content":"x"}]}"#, 400, #"option "stop" must be of type array"#),
                (#"{"model":"llama3.2","messages":[{"role":"user","content":"x","images":["data:image/png;base64,AAAA"]}]}"#, 400, "illegal base64 data at input byte 4"),
            ]
            for (body, status, message) in cases {
                let reply = try await send(fake, "/api/chat", body: body)
                #expect(reply.status == status, "\(body)")
                #expect(reply.json["error"] as? String == message, "\(body)")
            }
            fake.behavior.failure = .status(503, "server busy, please try again.  maximum pending requests exceeded")
            let busy = try await send(fake, "/api/chat", body: Self.chatBody)
            #expect(busy.status == 503)
            #expect(busy.json["error"] as? String == "server busy, please try again.  maximum pending requests exceeded")
        }
    }

    @Test func errorLineAfterChunks() async throws {
        try await withFake(.init(failure: .errorLineAfter(chunks: 2, message: "runner crashed"))) { fake in
            let lines = try await send(fake, "/api/chat", body: Self.chatBody).lines()
            #expect(lines.count == 3)
            #expect(lines.prefix(2).allSatisfy { $0["done"] as? Bool == false })
            #expect(lines.last?["error"] as? String == "runner crashed")
        }
    }

    @Test func dropAfterTruncatesTheTransfer() async throws {
        try await withFake(.init(failure: .dropAfter(chunks: 2))) { fake in
            await #expect(throws: (any Error).self) {
                _ = try await send(fake, "/api/chat", body: Self.chatBody)
            }
            await #expect(throws: (any Error).self) {
                _ = try await send(fake, "/api/generate", body: #"{"model":"llama3.2","prompt":"x","stream":false}"#)
            }
        }
    }

    /// A reply that stalls (or is still in its first-byte delay) when the fake is stopped is cancelled
    /// after the grace period, so the server shuts down gracefully; its own task, which may hold
    /// accepted connections not yet served, is never cancelled (NIO traps on those). Connections keep
    /// arriving during the stop, to give that trap its chance.
    @Test func stopEndsStalledRepliesWithoutCancellingTheServer() async throws {
        for behavior in [FakeOllamaBehavior(failure: .stallAfter(chunks: 1)), FakeOllamaBehavior(firstByteDelay: .seconds(600))] {
            let fake = try await FakeOllama.start(behavior: behavior)
            let stalled = Task { try? await send(fake, "/api/chat", body: Self.chatBody) }
            // The reply has begun (or is waiting for its first byte) before the stop.
            try await Task.sleep(for: .milliseconds(300))
            let port = fake.port
            let knocking = Task.detached {
                while !Task.isCancelled {
                    Self.connectAndClose(port: port)
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
            let started = ContinuousClock.now
            let outcome = await fake.stop()
            let took = started.duration(to: .now)
            knocking.cancel()
            _ = await stalled.value
            // Graceful: the server stopped before the 30 s after which its own task would be cancelled.
            // (How long within that depends on how busy the machine is: ninety other suites run beside this one.)
            #expect(outcome == .graceful, "\(behavior.failure) / \(behavior.firstByteDelay), stop took \(took)")
            // The waiting request had its 2 s grace period before it was cancelled.
            #expect(took >= .seconds(2), "stop took \(took)")
        }
    }

    /// Opens a TCP connection to 127.0.0.1:`port` and closes it at once (no request).
    static func connectAndClose(port: Int) {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    @Test func splitWritesReassembleIntoValidLines() async throws {
        let text = "Héllo 👩‍👩‍👧 世界\u{85}next\u{2028}line <tag> & \"quoted\" 🎉"
        try await withFake(.init(chunks: 7, splitWrites: true, replyText: text)) { fake in
            let reply = try await send(fake, "/api/chat", body: Self.chatBody)
            #expect(!reply.text.contains("<tag>"), "Go escapes < > &")
            #expect(reply.text.contains("\u{85}"), "Go leaves U+0085 raw")
            let lines = try reply.lines()
            #expect(lines.count == 8)
            let content = lines.compactMap { ($0["message"] as? [String: Any])?["content"] as? String }.joined()
            #expect(content == text)
            #expect(lines.last?["eval_count"] as? Int == 7)
        }
    }

    @Test func thinkingAndToolCalls() async throws {
        try await withFake(.init(chunks: 1)) { fake in
            let body = #"{"model":"qwen3","think":true,"messages":[{"role":"user","content":"please call a tool"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{}}}]}"#
            let lines = try await send(fake, "/api/chat", body: body).lines()
            let messages = lines.compactMap { $0["message"] as? [String: Any] }
            try #require(messages.count == 5)
            #expect(messages[0]["thinking"] as? String != nil && messages[0]["content"] as? String == "")
            #expect(messages[2]["content"] as? String == "word ")
            let call = try #require((messages[3]["tool_calls"] as? [[String: Any]])?.first)
            #expect((call["id"] as? String)?.wholeMatch(of: /call_[a-z0-9]{8}/) != nil)
            let function = try #require(call["function"] as? [String: Any])
            #expect(function["name"] as? String == "get_weather" && function["index"] as? Int == 0)
            #expect((function["arguments"] as? [String: Any])?.isEmpty == true)
            #expect(lines[3]["done"] as? Bool == false && lines[4]["done"] as? Bool == true)
            #expect(lines[4]["eval_count"] as? Int == 4)
        }
    }

    @Test func scriptedToolCall() async throws {
        try await withFake(.init(chunks: 1)) { fake in
            let tools = #"[{"type":"function","function":{"name":"first"}},{"type":"function","function":{"name":"exec_command"}}]"#
            let prompt = #"Please call a tool exec_command with {\"cmd\":\"echo hi\",\"n\":2}"#
            let body = #"{"model":"llama3.2","stream":false,"messages":[{"role":"user","content":"\#(prompt)"}],"tools":\#(tools)}"#
            let message = try #require(try await send(fake, "/api/chat", body: body).json["message"] as? [String: Any])
            let function = try #require((message["tool_calls"] as? [[String: Any]])?.first?["function"] as? [String: Any])
            #expect(function["name"] as? String == "exec_command")
            let arguments = try #require(function["arguments"] as? [String: Any])
            #expect(arguments["cmd"] as? String == "echo hi" && arguments["n"] as? Int == 2)
        }
    }

    @Test func modelEndpointsAndEmbeddings() async throws {
        try await withFake { fake in
            #expect(try await send(fake, "/", method: "GET").text == "Ollama is running")
            #expect(try await send(fake, "/api/version", method: "GET").json["version"] as? String == "0.12.0")
            let tags = try await send(fake, "/api/tags", method: "GET").json["models"] as? [[String: Any]]
            #expect(tags?.compactMap { $0["name"] as? String } == ["llama3.2:latest", "qwen3:latest", "nomic-embed-text:latest", "llava:latest"])
            let show = try await send(fake, "/api/show", body: #"{"model":"llama3.2"}"#).json
            #expect((show["model_info"] as? [String: Any])?["llama.context_length"] as? Int == 131_072)
            #expect(show["capabilities"] as? [String] == ["completion", "tools"])
            let embed = try await send(fake, "/api/embed", body: #"{"model":"nomic-embed-text","input":["a b","c"]}"#).json
            let vectors = try #require(embed["embeddings"] as? [[Double]])
            #expect(vectors.count == 2 && vectors[0].count == 768)
            #expect(abs(vectors[0].reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
            #expect(embed["prompt_eval_count"] as? Int == 3)
            let legacy = try await send(fake, "/api/embeddings", body: #"{"model":"nomic-embed-text","prompt":"a b"}"#).json
            #expect((legacy["embedding"] as? [Double])?.count == 768)
            let ps = try await send(fake, "/api/ps", method: "GET").json["models"] as? [[String: Any]]
            #expect(ps?.first?["name"] as? String == "nomic-embed-text:latest")
        }
    }

    @Test func recordsRequestsAndRunsManyInstances() async throws {
        let fakes = try await withThrowingTaskGroup(of: FakeOllama.self) { group in
            for _ in 0..<8 { group.addTask { try await FakeOllama.start() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(fakes.map(\.port)).count == 8)
        for fake in fakes {
            _ = try await send(fake, "/api/chat", body: #"{"model":"llama3.2","stream":false,"options":{"stop":["\n"]},"messages":[]}"#)
            let recorded = try #require(fake.recordedRequests.last)
            #expect(recorded.method == "POST" && recorded.path == "/api/chat")
            #expect(recorded.header("content-type") == "application/json")
            #expect((recorded.jsonObject?["options"] as? [String: Any])?["stop"] as? [String] == ["\n"])
        }
        for fake in fakes { await fake.stop() }
    }
}
