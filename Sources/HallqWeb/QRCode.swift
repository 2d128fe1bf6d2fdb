/// A QR code (ISO/IEC 18004) for the kiosk screen: the ticket's status address, in byte mode at
/// error correction level M, versions 1–10 (up to 213 bytes: any status address fits). The
/// printer draws its own QR from the same text; this one is for the screen. Pure: text in, a
/// matrix of modules out; `svg` draws it. Checked by decoding with an independent reader
/// (zbarimg) in the tests.
public struct QRCode: Sendable {
    public let size: Int
    /// modules[y][x]: true is dark.
    public let modules: [[Bool]]

    /// Level M per version 1…10: data codewords per block (in order) and EC codewords per block.
    static let blocks: [(data: [Int], ec: Int)] = [
        ([16], 10), ([28], 16), ([44], 26), ([32, 32], 18), ([43, 43], 24), ([27, 27, 27, 27], 16),
        ([31, 31, 31, 31], 18), ([38, 38, 39, 39], 22), ([36, 36, 36, 37, 37], 22), ([43, 43, 43, 43, 44], 26),
    ]
    static let alignment: [[Int]] = [
        [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34], [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50],
    ]

    /// nil when the text is too long for version 10.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard
            let version = (1...10).first(where: { v in
                let capacity = Self.blocks[v - 1].data.reduce(0, +) * 8
                return 4 + (v < 10 ? 8 : 16) + bytes.count * 8 <= capacity
            })
        else { return nil }
        let (data, ec) = Self.blocks[version - 1]
        let capacity = data.reduce(0, +)
        // Mode 0100 (bytes), the count, the bytes, a terminator, then pad bytes.
        var bits: [Bool] = []
        func put(_ value: Int, _ n: Int) { for i in (0..<n).reversed() { bits.append((value >> i) & 1 == 1) } }
        put(0b0100, 4)
        put(bytes.count, version < 10 ? 8 : 16)
        for b in bytes { put(Int(b), 8) }
        put(0, min(4, capacity * 8 - bits.count))
        while bits.count % 8 != 0 { bits.append(false) }
        var codewords = stride(from: 0, to: bits.count, by: 8).map { i in
            bits[i..<(i + 8)].reduce(0) { ($0 << 1) | ($1 ? 1 : 0) }
        }
        var pad = 0xEC
        while codewords.count < capacity {
            codewords.append(pad)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }
        // Split into blocks, add each block's Reed–Solomon codewords, interleave.
        var dataBlocks: [[Int]] = []
        var at = 0
        for n in data {
            dataBlocks.append(Array(codewords[at..<(at + n)]))
            at += n
        }
        let ecBlocks = dataBlocks.map { Self.reedSolomon($0, ec) }
        var final: [Int] = []
        for i in 0..<(data.max() ?? 0) { for b in dataBlocks where i < b.count { final.append(b[i]) } }
        for i in 0..<ec { for b in ecBlocks { final.append(b[i]) } }

        let size = 17 + 4 * version
        var m = Matrix(size: size)
        m.placeFunctionPatterns(version: version, alignment: Self.alignment[version - 1])
        m.placeData(final)
        // The mask with the lowest penalty, as the standard asks.
        var best: Matrix?
        var bestScore = Int.max
        for mask in 0..<8 {
            var candidate = m
            candidate.applyMask(mask)
            candidate.placeFormat(mask: mask)
            if version >= 7 { candidate.placeVersion(version) }
            let score = candidate.penalty()
            if score < bestScore {
                bestScore = score
                best = candidate
            }
        }
        self.size = size
        modules = best!.dark
    }

    /// The code as SVG, with the standard's quiet zone of four modules.
    public func svg() -> String {
        let full = size + 8
        var path = ""
        for y in 0..<size {
            for x in 0..<size where modules[y][x] { path += "M\(x + 4) \(y + 4)h1v1h-1z" }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(full) \(full)" shape-rendering="crispEdges">\
            <rect width="\(full)" height="\(full)" fill="#fff"/><path d="\(path)" fill="#000"/></svg>
            """
    }

    // MARK: - Reed–Solomon over GF(256), polynomial 0x11D

    static let (exp, log): ([Int], [Int]) = {
        var exp = [Int](repeating: 0, count: 512)
        var log = [Int](repeating: 0, count: 256)
        var x = 1
        for i in 0..<255 {
            exp[i] = x
            log[x] = i
            x <<= 1
            if x & 0x100 != 0 { x ^= 0x11D }
        }
        for i in 255..<512 { exp[i] = exp[i - 255] }
        return (exp, log)
    }()

    static func multiply(_ a: Int, _ b: Int) -> Int { a == 0 || b == 0 ? 0 : exp[log[a] + log[b]] }

    /// The `n` error-correction codewords of `data`.
    static func reedSolomon(_ data: [Int], _ n: Int) -> [Int] {
        // The generator polynomial (x - α^0)(x - α^1)…(x - α^(n-1)), highest degree first.
        var g = [1]
        for i in 0..<n {
            var next = [Int](repeating: 0, count: g.count + 1)
            for (j, c) in g.enumerated() {
                next[j] ^= c
                next[j + 1] ^= multiply(c, exp[i])
            }
            g = next
        }
        var rem = [Int](repeating: 0, count: n)
        for d in data {
            let factor = d ^ rem[0]
            rem.removeFirst()
            rem.append(0)
            for i in 0..<n { rem[i] ^= multiply(g[i + 1], factor) }
        }
        return rem
    }

    // MARK: - The matrix

    struct Matrix {
        let size: Int
        var dark: [[Bool]]
        /// Modules of function patterns: never data, never masked.
        var reserved: [[Bool]]

        init(size: Int) {
            self.size = size
            dark = Array(repeating: Array(repeating: false, count: size), count: size)
            reserved = dark
        }

        mutating func set(_ x: Int, _ y: Int, _ on: Bool) {
            dark[y][x] = on
            reserved[y][x] = true
        }

        mutating func placeFunctionPatterns(version: Int, alignment: [Int]) {
            for (cx, cy) in [(3, 3), (size - 4, 3), (3, size - 4)] {
                for dy in -4...4 {
                    for dx in -4...4 {
                        let x = cx + dx
                        let y = cy + dy
                        guard (0..<size).contains(x), (0..<size).contains(y) else { continue }
                        let d = max(abs(dx), abs(dy))
                        set(x, y, d != 2 && d != 4)
                    }
                }
            }
            for i in 8..<(size - 8) {
                set(6, i, i % 2 == 0)
                set(i, 6, i % 2 == 0)
            }
            // Every pair of positions but the three under the finder patterns (those on the timing
            // lines are drawn over them).
            let last = alignment.count - 1
            for (i, ay) in alignment.enumerated() {
                for (j, ax) in alignment.enumerated()
                where !((i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0)) {
                    for dy in -2...2 { for dx in -2...2 { set(ax + dx, ay + dy, max(abs(dx), abs(dy)) != 1) } }
                }
            }
            // Format areas (written per mask later), the dark module, version areas.
            for i in 0..<9 {
                reserved[8][i] = true
                reserved[i][8] = true
            }
            for i in 0..<8 {
                reserved[8][size - 1 - i] = true
                reserved[size - 1 - i][8] = true
            }
            set(8, size - 8, true)
            if version >= 7 {
                for i in 0..<6 {
                    for j in 0..<3 {
                        reserved[i][size - 11 + j] = true
                        reserved[size - 11 + j][i] = true
                    }
                }
            }
        }

        /// The codewords' bits in the standard's zigzag, two columns at a time from the right.
        mutating func placeData(_ codewords: [Int]) {
            var bit = 0
            let total = codewords.count * 8
            var right = size - 1
            var upward = true
            while right >= 1 {
                if right == 6 { right = 5 }
                for step in 0..<size {
                    let y = upward ? size - 1 - step : step
                    for x in [right, right - 1] where !reserved[y][x] {
                        if bit < total { dark[y][x] = (codewords[bit / 8] >> (7 - bit % 8)) & 1 == 1 }
                        bit += 1
                    }
                }
                upward.toggle()
                right -= 2
            }
        }

        mutating func applyMask(_ mask: Int) {
            for y in 0..<size {
                for x in 0..<size where !reserved[y][x] {
                    let flip: Bool
                    switch mask {
                    case 0: flip = (x + y) % 2 == 0
                    case 1: flip = y % 2 == 0
                    case 2: flip = x % 3 == 0
                    case 3: flip = (x + y) % 3 == 0
                    case 4: flip = (y / 2 + x / 3) % 2 == 0
                    case 5: flip = (x * y) % 2 + (x * y) % 3 == 0
                    case 6: flip = ((x * y) % 2 + (x * y) % 3) % 2 == 0
                    default: flip = ((x + y) % 2 + (x * y) % 3) % 2 == 0
                    }
                    if flip { dark[y][x].toggle() }
                }
            }
        }

        /// Level M (00) and the mask, BCH(15,5), XOR 0x5412; in both copies.
        mutating func placeFormat(mask: Int) {
            let data = (0b00 << 3) | mask
            var rem = data
            for _ in 0..<10 { rem = (rem << 1) ^ ((rem >> 9) * 0x537) }
            let bits = ((data << 10) | rem) ^ 0x5412
            func bit(_ i: Int) -> Bool { (bits >> i) & 1 == 1 }
            for i in 0...5 { dark[i][8] = bit(i) }
            dark[7][8] = bit(6)
            dark[8][8] = bit(7)
            dark[8][7] = bit(8)
            for i in 9..<15 { dark[8][14 - i] = bit(i) }
            for i in 0..<8 { dark[8][size - 1 - i] = bit(i) }
            for i in 8..<15 { dark[size - 15 + i][8] = bit(i) }
            dark[size - 8][8] = true
        }

        /// Version 7 and up: the version, BCH(18,6) with generator 0x1F25, in both corners.
        mutating func placeVersion(_ version: Int) {
            var rem = version
            for _ in 0..<12 { rem = (rem << 1) ^ ((rem >> 11) * 0x1F25) }
            let bits = (version << 12) | rem
            for i in 0..<18 {
                let on = (bits >> i) & 1 == 1
                let a = size - 11 + i % 3
                let b = i / 3
                dark[b][a] = on
                dark[a][b] = on
            }
        }

        /// The standard's four penalty rules: runs, 2×2 blocks, finder-like patterns, balance.
        func penalty() -> Int {
            var score = 0
            for line in 0..<size {
                for horizontal in [true, false] {
                    var run = 1
                    var history: [Bool] = []
                    for i in 0..<size {
                        let v = horizontal ? dark[line][i] : dark[i][line]
                        history.append(v)
                        if i > 0 {
                            let prev = horizontal ? dark[line][i - 1] : dark[i - 1][line]
                            if v == prev {
                                run += 1
                                if run == 5 { score += 3 } else if run > 5 { score += 1 }
                            } else {
                                run = 1
                            }
                        }
                    }
                    // 1:1:3:1:1 dark-light pattern with four light modules on one side.
                    let pattern: [Bool] = [true, false, true, true, true, false, true]
                    for i in 0...(size - 7) where Array(history[i..<(i + 7)]) == pattern {
                        let before = i >= 4 && !history[(i - 4)..<i].contains(true)
                        let after = i + 11 <= size && !history[(i + 7)..<(i + 11)].contains(true)
                        if before || after { score += 40 }
                    }
                }
            }
            for y in 0..<(size - 1) {
                for x in 0..<(size - 1) {
                    let v = dark[y][x]
                    if dark[y][x + 1] == v && dark[y + 1][x] == v && dark[y + 1][x + 1] == v { score += 3 }
                }
            }
            let darkCount = dark.reduce(0) { $0 + $1.filter { $0 }.count }
            let percent = darkCount * 100 / (size * size)
            score += abs(percent - 50) / 5 * 10
            return score
        }
    }
}
