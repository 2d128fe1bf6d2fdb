import Foundation

/// RIFF WAVE, mono 16-bit PCM: the clip files. Reading accepts what espeak-ng and recorders
/// write (extra chunks are skipped); stereo or other sample sizes are refused with a reason.
public enum Wave {
    public struct Failure: Error, CustomStringConvertible { public var description: String }

    public static func encode(_ samples: [Int16], rate: Int) -> [UInt8] {
        func u32(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(v).littleEndian, Array.init) }
        func u16(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt16(v).littleEndian, Array.init) }
        let data = samples.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        return Array("RIFF".utf8) + u32(36 + data.count) + Array("WAVE".utf8)
            + Array("fmt ".utf8) + u32(16) + u16(1) + u16(1) + u32(rate) + u32(rate * 2) + u16(2) + u16(16)
            + Array("data".utf8) + u32(data.count) + data
    }

    public static func decode(_ b: [UInt8]) throws(Failure) -> (rate: Int, samples: [Int16]) {
        func u32(_ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 | Int(b[i + 3]) << 24 }
        func u16(_ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
        guard b.count >= 12, Array(b[0..<4]) == Array("RIFF".utf8), Array(b[8..<12]) == Array("WAVE".utf8) else {
            throw Failure(description: "not a RIFF WAVE file")
        }
        var i = 12
        var rate: Int?
        while i + 8 <= b.count {
            let id = String(decoding: b[i..<(i + 4)], as: UTF8.self)
            var size = u32(i + 4)
            let body = i + 8
            if id == "fmt " {
                guard size >= 16, body + 16 <= b.count else { throw Failure(description: "short fmt chunk") }
                guard u16(body) == 1, u16(body + 2) == 1, u16(body + 14) == 16 else {
                    throw Failure(
                        description:
                            "not mono 16-bit PCM (format \(u16(body)), \(u16(body + 2)) channels, \(u16(body + 14)) bits)"
                    )
                }
                rate = u32(body + 4)
            } else if id == "data" {
                guard let rate else { throw Failure(description: "data before fmt") }
                // espeak-ng writing to a pipe leaves the sizes at their maximum: take what is there.
                size = min(size, b.count - body)
                var s = [Int16](repeating: 0, count: size / 2)
                for k in 0..<s.count {
                    s[k] = Int16(bitPattern: UInt16(b[body + 2 * k]) | UInt16(b[body + 2 * k + 1]) << 8)
                }
                return (rate, s)
            }
            i = body + size + (size & 1)
        }
        throw Failure(description: "no data chunk")
    }

    /// Drops leading and trailing samples quieter than `threshold` (espeak-ng pads its output).
    public static func trimmed(_ s: [Int16], threshold: Int16 = 300) -> [Int16] {
        guard let a = s.firstIndex(where: { abs(Int($0)) > Int(threshold) }),
            let z = s.lastIndex(where: { abs(Int($0)) > Int(threshold) })
        else { return [] }
        return Array(s[a...z])
    }

    /// The chime, synthesised (no third-party audio): two soft bell tones, "ding-dong".
    public static func chime(rate: Int) -> [Int16] {
        var out: [Int16] = []
        for (freq, ms) in [(659.25, 450), (523.25, 650)] {
            let n = rate * ms / 1000
            for k in 0..<n {
                let t = Double(k) / Double(rate)
                let env = exp(-3.5 * t) * min(1, Double(k) / (0.005 * Double(rate)))
                let v = (sin(2 * .pi * freq * t) + 0.3 * sin(4 * .pi * freq * t)) * env * 0.45
                out.append(Int16(clamping: Int(v * 32767)))
            }
        }
        return out
    }
}

/// A clip pack on disk: `manifest.txt` (one "name file.wav" per line, # comments) and the WAVs.
/// All clips share one rate. A hall replaces any clip with its own recording of the same name.
public enum ClipPackFiles {
    public static let manifest = "manifest.txt"

    public static func load(_ dir: URL) throws(Wave.Failure) -> ClipPack {
        guard let text = try? String(contentsOf: dir.appendingPathComponent(manifest), encoding: .utf8) else {
            throw Wave.Failure(description: "no \(manifest) in \(dir.path)")
        }
        var clips: [String: [Int16]] = [:]
        var rate: Int?
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            guard let bytes = try? Data(contentsOf: dir.appendingPathComponent(parts[1])) else {
                throw Wave.Failure(description: "clip \(parts[0]): cannot read \(parts[1])")
            }
            let w: (rate: Int, samples: [Int16])
            do { w = try Wave.decode([UInt8](bytes)) } catch {
                throw Wave.Failure(description: "clip \(parts[0]) (\(parts[1])): \(error)")
            }
            if let r = rate, r != w.rate {
                throw Wave.Failure(description: "clip \(parts[0]) is \(w.rate) Hz, the pack is \(r) Hz")
            }
            rate = w.rate
            clips[parts[0]] = w.samples
        }
        guard let rate else { throw Wave.Failure(description: "\(manifest) in \(dir.path) lists no clip") }
        return ClipPack(rate: rate, clips: clips)
    }

    public static func write(_ pack: ClipPack, to dir: URL, fileNames: [String: String]) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var lines = [
            "# hallq clip pack: name file (mono 16-bit PCM, \(pack.rate) Hz). Replace any clip with a recording."
        ]
        for name in Vocabulary.all where pack.clips[name] != nil {
            let file = fileNames[name] ?? "\(name).wav"
            try Data(Wave.encode(pack.clips[name]!, rate: pack.rate)).write(to: dir.appendingPathComponent(file))
            lines.append("\(name) \(file)")
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: dir.appendingPathComponent(manifest))
    }
}
