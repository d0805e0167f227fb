/// C's printf conversions of a `double` that `ss` uses (`%g`, `%.3g`, `%.0f`,
/// `%.1f`), digit for digit as glibc prints them: from the exact binary value,
/// ties rounded to even. No Foundation: the exact decimal expansion comes from a
/// small big-integer product.
enum PrintfNumbers {
    /// `printf("%.*g", precision, value)`.
    static func g(_ value: Double, precision: Int = 6) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        let sign = value.sign == .minus ? "-" : ""
        let significant = max(precision, 1)
        if value == 0 { return sign + "0" }
        var decimal = ExactDecimal(magnitude: value.magnitude)
        decimal.round(keeping: significant)
        let exponent = decimal.point - 1
        if exponent < -4 || exponent >= significant {
            // d.ddd, trailing zeros dropped, then e±XX.
            var mantissa = String(decimal.digit(0))
            var fraction = ""
            for index in 1..<significant { fraction.append(String(decimal.digit(index))) }
            while fraction.last == "0" { fraction.removeLast() }
            if !fraction.isEmpty { mantissa += "." + fraction }
            let magnitude = exponent < 0 ? -exponent : exponent
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (magnitude < 10 ? "0" : "") + String(magnitude)
        }
        var text = decimal.fixed(decimals: significant - 1 - exponent)
        if text.contains(".") {
            while text.last == "0" { text.removeLast() }
            if text.last == "." { text.removeLast() }
        }
        return sign + text
    }

    /// `printf("%.*f", decimals, value)`.
    static func f(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        let sign = value.sign == .minus ? "-" : ""
        let places = max(decimals, 0)
        var decimal = ExactDecimal(magnitude: value.magnitude)
        decimal.round(keeping: decimal.point + places)
        return sign + decimal.fixed(decimals: places)
    }
}

/// A non-negative double written out exactly: 0.d₀d₁d₂… × 10^point.
private struct ExactDecimal {
    /// Decimal digits without leading zeros; empty for zero.
    var digits: [UInt8]
    /// Where the decimal point sits, counted in digits from the left.
    var point: Int

    init(magnitude: Double) {
        guard magnitude != 0 else {
            digits = []
            point = 0
            return
        }
        // magnitude = mantissa × 2^exponent exactly.
        var mantissa = magnitude.significandBitPattern
        var exponent = Int(magnitude.exponentBitPattern) - 1075
        if magnitude.exponentBitPattern == 0 {
            exponent = -1074
        } else {
            mantissa |= 1 << 52
        }
        var number = BigUnsigned(mantissa)
        var fractionDigits = 0
        if exponent >= 0 {
            number.shiftLeft(exponent)
        } else {
            // m / 2^k = m × 5^k / 10^k.
            for _ in 0..<(-exponent) { number.multiply(by: 5) }
            fractionDigits = -exponent
        }
        let text = number.decimalDigits()
        digits = text
        point = text.count - fractionDigits
        while let last = digits.last, last == 0 { digits.removeLast() }
    }

    /// The digit at `index` (0 past the end).
    func digit(_ index: Int) -> UInt8 {
        index >= 0 && index < digits.count ? digits[index] : 0
    }

    /// Rounds to the first `count` digits, ties to even.
    mutating func round(keeping count: Int) {
        guard count < digits.count else { return }
        if count < 0 {
            digits = []
            return
        }
        let first = digits[count]
        let restNonZero = digits[(count + 1)...].contains { $0 != 0 }
        let previousOdd = count > 0 && digits[count - 1] % 2 == 1
        let up = first > 5 || (first == 5 && (restNonZero || previousOdd))
        digits.removeSubrange(count...)
        if up {
            var index = digits.count - 1
            while index >= 0 && digits[index] == 9 {
                digits[index] = 0
                index -= 1
            }
            if index >= 0 {
                digits[index] += 1
            } else {
                digits.insert(1, at: 0)
                point += 1
            }
        }
        while let last = digits.last, last == 0 { digits.removeLast() }
    }

    /// The number with exactly `decimals` digits after the point.
    func fixed(decimals: Int) -> String {
        var text = ""
        if point <= 0 {
            text = "0"
        } else {
            for index in 0..<point { text.append(String(digit(index))) }
        }
        if decimals > 0 {
            text.append(".")
            for index in point..<(point + decimals) { text.append(String(digit(index))) }
        }
        return text
    }
}

/// Just enough of an unsigned big integer for exact decimal expansions:
/// 32-bit limbs, least significant first.
private struct BigUnsigned {
    var limbs: [UInt32]

    init(_ value: UInt64) {
        limbs = [UInt32(truncatingIfNeeded: value), UInt32(truncatingIfNeeded: value >> 32)]
        trim()
    }

    private mutating func trim() {
        while let last = limbs.last, last == 0 { limbs.removeLast() }
    }

    mutating func multiply(by factor: UInt32) {
        var carry: UInt64 = 0
        for index in limbs.indices {
            let product = UInt64(limbs[index]) * UInt64(factor) + carry
            limbs[index] = UInt32(truncatingIfNeeded: product)
            carry = product >> 32
        }
        if carry != 0 { limbs.append(UInt32(truncatingIfNeeded: carry)) }
    }

    mutating func shiftLeft(_ bits: Int) {
        for _ in 0..<(bits / 32) { limbs.insert(0, at: 0) }
        let rest = bits % 32
        guard rest > 0 else { return }
        var carry: UInt32 = 0
        for index in limbs.indices {
            let value = limbs[index]
            limbs[index] = value << UInt32(rest) | carry
            carry = value >> UInt32(32 - rest)
        }
        if carry != 0 { limbs.append(carry) }
    }

    /// Divides in place by `divisor`, returning the remainder.
    private mutating func divide(by divisor: UInt32) -> UInt32 {
        var remainder: UInt64 = 0
        for index in limbs.indices.reversed() {
            let current = remainder << 32 | UInt64(limbs[index])
            limbs[index] = UInt32(truncatingIfNeeded: current / UInt64(divisor))
            remainder = current % UInt64(divisor)
        }
        trim()
        return UInt32(truncatingIfNeeded: remainder)
    }

    /// The decimal digits, most significant first; empty for zero.
    func decimalDigits() -> [UInt8] {
        var copy = self
        var reversed: [UInt8] = []
        while !copy.limbs.isEmpty {
            var chunk = copy.divide(by: 1_000_000_000)
            if copy.limbs.isEmpty {
                while chunk > 0 {
                    reversed.append(UInt8(chunk % 10))
                    chunk /= 10
                }
            } else {
                for _ in 0..<9 {
                    reversed.append(UInt8(chunk % 10))
                    chunk /= 10
                }
            }
        }
        return reversed.reversed()
    }
}
