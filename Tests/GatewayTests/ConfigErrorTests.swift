import Testing
@testable import Gateway

@Suite("ConfigLoader: errors point at the file position")
struct ConfigErrorPositionTests {
    @Test func literalMasterKeyIsRefusedWithoutEchoingIt() throws {
        let error = try configError("auth:\n  master_key: hunter2-secret\n")
        #expect(error.source == "test.yaml")
        #expect(error.line == 2)
        #expect(error.message.contains("master_key_env"))
        #expect(!error.description.contains("hunter2-secret"))
    }

    @Test func unknownKeyOnTheSameLineAsItsValue() throws {
        let error = try configError("server: {prot: 1}\n")
        #expect(error.line == 1)
        #expect(error.column == 10, "the unknown key 'prot' itself")
        #expect(error.message.contains("unknown key 'prot'"))
        #expect(error.message.contains("host, port, max_body_bytes"))
    }

    @Test func unknownNestedKeyInBlockStyle() throws {
        let error = try configError("server:\n  host: 0.0.0.0\n  prot: 4000\n")
        #expect(error.line == 3)
        #expect(error.column == 3)
        #expect(error.message.contains("server.prot"))
    }

    @Test func unknownTopLevelKeyWithAScalarValue() throws {
        let error = try configError("log:\n  level: info\nsever: 1\n")
        #expect(error.line == 3)
        #expect(error.message.contains("unknown key 'sever'"))
        #expect(error.message.contains("server"))
    }

    /// A misspelt section name should be reported on its own line. The error points at the key,
    /// which for a nested mapping is the first line inside it.
    @Test func unknownTopLevelSectionPointsAtTheTypo() throws {
        let error = try configError("# comment\nsever:\n  port: 1\n")
        #expect(error.message.contains("unknown key 'sever'"))
        #expect(error.line == 2)
        #expect(error.column == 1)
    }

    @Test func unknownKeyInAModelAlias() throws {
        let error = try configError("models:\n  - name: a\n    ollama_model: b\n    price: 3\n")
        #expect(error.line == 4)
        #expect(error.message.contains("models[0].price"))
    }

    @Test func typeErrorPointsAtTheValue() throws {
        let error = try configError("server:\n  port: \"abc\"\n")
        #expect(error.source == "test.yaml")
        #expect(error.line == 2)
        #expect(error.column == 9)
        #expect(error.message == "server.port: expected an integer")
        #expect(error.description == "test.yaml:2:9: server.port: expected an integer")
    }

    @Test func typeErrorForABoolean() throws {
        let error = try configError("ollama:\n  base_url: http://x\n  expose_all_models: maybe\n")
        #expect(error.line == 3)
        #expect(error.column == 22)
        #expect(error.message.contains("true or false"))
    }

    @Test func missingRequiredAliasField() throws {
        let error = try configError("models:\n  - name: a\n  - name: b\n    ollama_model: c\n")
        #expect(error.line == 2)
        #expect(error.message.contains("missing required key 'ollama_model'"))
    }

    @Test func negativePriceIsRefused() throws {
        let error = try configError("models:\n  - name: a\n    ollama_model: b\n    output_price_per_1m: -1\n")
        #expect(error.line == 4)
        #expect(error.message.contains("negative"))
    }

    @Test(arguments: [
        ("server:\n  port: 1\n   host: x\n", 3),
        ("server: [1, 2\nlog:\n  level: info\n", 4),
        ("server:\n  port: 1\n\tbad: tab\n", 3),
        ("models:\n  - name: \"unterminated\n", 3),
    ])
    func invalidYAMLHasALine(yaml: String, line: Int) throws {
        let error = try configError(yaml)
        #expect(error.source == "test.yaml")
        #expect(error.message.hasPrefix("invalid YAML"))
        let reported = try #require(error.line)
        #expect(reported >= 2 && reported <= line, "reported line \(reported)")
        #expect(error.column != nil)
    }

    @Test(arguments: [0, 70000, -1])
    func portOutOfRangePointsAtItsLine(port: Int) throws {
        let error = try configError("# Tollgate\nserver:\n  host: 0.0.0.0\n  port: \(port)\n")
        #expect(error.line == 4)
        #expect(error.column == 9)
        #expect(error.message == "server.port must be from 1 to 65535")
        #expect(error.description == "test.yaml:4:9: server.port must be from 1 to 65535")
    }

    @Test(arguments: [
        ("database:\n  pool_size: 0\n", 2, "pool_size"),
        ("usage:\n  batch_size: 20000\n", 2, "batch_size"),
        ("usage:\n  write_concurrency: 0\n", 2, "write_concurrency"),
        ("usage:\n  flush_interval_ms: 1\n", 2, "flush_interval_ms"),
        ("log:\n  format: xml\n", 2, "log.format"),
        ("ollama:\n  base_url: ftp://x\n", 2, "base_url"),
        ("server:\n  max_body_bytes: 10\n", 2, "max_body_bytes"),
        ("usage:\n  payload_logging: everything\n", 2, "metadata"),
        ("usage:\n  payload_max_bytes: 10\n", 2, "payload_max_bytes"),
        ("usage:\n  retention_days: -1\n", 2, "retention_days"),
        ("usage:\n  retention_interval_s: 0\n", 2, "retention_interval_s"),
        ("usage:\n  redact_fields: [\"\"]\n", 2, "redact_fields"),
    ])
    func rangeChecksPointAtTheValue(yaml: String, line: Int, hint: String) throws {
        let error = try configError(yaml)
        #expect(error.source == "test.yaml")
        #expect(error.line == line)
        #expect(error.message.contains(hint))
    }

    @Test func duplicateAliasNamesAreRefused() throws {
        let yaml = """
            models:
              - name: fast
                ollama_model: llama3.2:1b
              - name: smart
                ollama_model: qwen3:8b
              - name: fast
                ollama_model: llama3.2:3b
            """
        let error = try configError(yaml)
        #expect(error.message.contains("'fast' is used twice"))
        #expect(error.message.contains("models[2]"))
        #expect(error.line == 6)
    }

    @Test func emptyAliasNameIsRefused() throws {
        let error = try configError("models:\n  - name: \"\"\n    ollama_model: x\n")
        #expect(error.message.contains("must not be empty"))
        #expect(error.line == 2)
    }
}

@Suite("ConfigError.description")
struct ConfigErrorDescriptionTests {
    @Test(arguments: [
        (ConfigError(source: "config/tollgate.yaml", line: 12, column: 9, message: "server.port must be from 1 to 65535"),
         "config/tollgate.yaml:12:9: server.port must be from 1 to 65535"),
        (ConfigError(source: "a.yaml", line: 3, message: "invalid YAML"), "a.yaml:3: invalid YAML"),
        (ConfigError(source: "TOLLGATE_PORT", message: "must be an integer, got 'x'"), "TOLLGATE_PORT: must be an integer, got 'x'"),
        (ConfigError(source: "a.yaml", column: 4, message: "m"), "a.yaml: m"),
    ])
    func format(error: ConfigError, expected: String) {
        #expect(error.description == expected)
        #expect("\(error)" == expected)
    }
}
