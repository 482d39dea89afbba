/// A configuration problem that stops start-up, pointing at where it is.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// The config file, or the environment variable at fault.
    public var source: String
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(source: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.source = source
        self.line = line
        self.column = column
        self.message = message
    }

    /// `config/tollgate.yaml:12:9: server.port must be from 1 to 65535`
    public var description: String {
        switch (line, column) {
        case (let line?, let column?): "\(source):\(line):\(column): \(message)"
        case (let line?, nil): "\(source):\(line): \(message)"
        default: "\(source): \(message)"
        }
    }
}
