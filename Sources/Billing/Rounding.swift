import Domain

/// The one rounding rule: an exact amount in fractions of a fen is rounded half up to the fen,
/// per line; a total is the sum of its rounded lines.
public enum Rounding {
    /// `numerator / denominator` fen, rounded half up (amounts are never negative here; a
    /// negative one is rounded half away from zero, so that a discount mirrors its base).
    public static func halfUp(_ numerator: Int64, over denominator: Int64) -> Int64 {
        precondition(denominator > 0)
        let magnitude = (abs(numerator) * 2 + denominator) / (2 * denominator)
        return numerator < 0 ? -magnitude : magnitude
    }
}
