/// Every way a frame or message can be wrong, as a typed value (postgres-nio's `PSQLError` pattern:
/// a struct with an extensible code, so new codes do not break exhaustive switches downstream).
public struct JT808Error: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case badDelimiter, badEscape, badChecksum, truncated, lengthMismatch
            case unsupportedMessage, badField, frameTooLong, encrypted
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The frame does not start and end with 0x7e.
        public static let badDelimiter = Code(.badDelimiter)
        /// 0x7d followed by something other than 0x01 or 0x02.
        public static let badEscape = Code(.badEscape)
        /// The XOR check code does not match.
        public static let badChecksum = Code(.badChecksum)
        /// Fewer bytes than a header or field needs.
        public static let truncated = Code(.truncated)
        /// The body length in the header does not match the bytes present.
        public static let lengthMismatch = Code(.lengthMismatch)
        /// A sound header with a message id this codec does not decode.
        public static let unsupportedMessage = Code(.unsupportedMessage)
        /// A field whose value is impossible (a BCD digit above 9, a count that overruns, ...).
        public static let badField = Code(.badField)
        /// More bytes than the largest legal frame before a closing delimiter.
        public static let frameTooLong = Code(.frameTooLong)
        /// The body is RSA-encrypted and no key is configured.
        public static let encrypted = Code(.encrypted)

        /// The stable name used in `fleetd decode`'s JSON and in metrics labels.
        public var description: String { base.rawValue }
    }

    public var code: Code
    /// Offset of the offending byte in the unescaped frame (the byte after the opening 0x7e is 0),
    /// when one byte can be blamed.
    public var offset: Int?
    public var message: String

    public init(_ code: Code, at offset: Int? = nil, _ message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    public var description: String {
        if let offset { return "\(code) at byte \(offset): \(message)" }
        return "\(code): \(message)"
    }
}
