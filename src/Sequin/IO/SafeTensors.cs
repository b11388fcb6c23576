using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Sequin.Tensors;

namespace Sequin.IO;

/// <summary>
/// Reads and writes the safetensors format used by PyTorch and Hugging Face (<c>safetensors.torch.save_file</c> /
/// <c>load_file</c>): an 8-byte little-endian header length N, N bytes of JSON header
/// (<c>{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ..., "__metadata__": {"k": "v"}}</c>),
/// then the raw little-endian tensor bytes. Offsets are relative to the end of the header.
/// </summary>
/// <remarks>
/// F32, F64 and I64 load as <see cref="DType.Float32"/>, <see cref="DType.Float64"/> and <see cref="DType.Int64"/>
/// bit-exactly. F16 and BF16 are widened to <see cref="DType.Float32"/> (exact), and I32, I16, I8, U8, BOOL to
/// <see cref="DType.Int64"/>. Save writes F32, F64 and I64, sorts tensors by name, and pads the header with spaces
/// to a multiple of 8 bytes so the data is aligned, as the specification asks.
/// </remarks>
public static class SafeTensors
{
    /// <summary>Largest header accepted (100 MB, the limit of the reference implementation).</summary>
    public const long MaxHeaderSize = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>
    /// Reads every tensor and the <c>__metadata__</c> string map from a safetensors file. Tensors are contiguous,
    /// own their storage and do not require grad.
    /// </summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <returns>Tensors by name, and the metadata (empty when the file has none).</returns>
    /// <exception cref="InvalidDataException">The file is truncated or its header is malformed; the message says where.</exception>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"SafeTensors.Load: the file '{path}' does not exist.", path);
        }
        return Deserialize(bytes, path);
    }

    /// <summary>Reads only the <c>__metadata__</c> map of a safetensors file (cheap: the tensor data is not read).</summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <exception cref="InvalidDataException">The header is truncated or malformed.</exception>
    public static Dictionary<string, string> LoadMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var fs = File.OpenRead(path);
        Span<byte> lenBytes = stackalloc byte[8];
        if (fs.ReadAtLeast(lenBytes, 8, throwOnEndOfStream: false) < 8)
        {
            throw Corrupt(path, $"the file has {fs.Length} bytes, fewer than the 8-byte header length every safetensors file starts with");
        }
        var n = CheckHeaderLength(BinaryPrimitives.ReadUInt64LittleEndian(lenBytes), fs.Length - 8, path);
        var header = new byte[n];
        fs.ReadExactly(header);
        return ParseHeader(header, path).Metadata;
    }

    /// <summary>Parses safetensors bytes (the whole file's contents), as <see cref="Load"/> does.</summary>
    /// <param name="bytes">The file contents.</param>
    /// <param name="source">A name for error messages (a path, or e.g. "buffer").</param>
    /// <exception cref="InvalidDataException">The bytes are truncated or malformed.</exception>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Deserialize(ReadOnlySpan<byte> bytes, string source = "buffer")
    {
        if (bytes.Length < 8)
        {
            throw Corrupt(source, $"the file has {bytes.Length} bytes, fewer than the 8-byte header length every safetensors file starts with");
        }
        var n = CheckHeaderLength(BinaryPrimitives.ReadUInt64LittleEndian(bytes), bytes.Length - 8L, source);
        var (entries, metadata) = ParseHeader(bytes.Slice(8, n), source);
        var data = bytes[(8 + n)..];

        // The reference implementation requires the entries to tile the data section exactly: no holes, no overlaps.
        var ordered = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long expectedBegin = 0;
        foreach (var e in ordered)
        {
            if (e.Begin != expectedBegin)
            {
                throw Corrupt(source, e.Begin < expectedBegin
                    ? $"tensor '{e.Name}' data_offsets [{e.Begin}, {e.End}] overlap the previous tensor, which ends at {expectedBegin}"
                    : $"tensor '{e.Name}' starts at data offset {e.Begin} but the previous tensor ends at {expectedBegin} (a hole in the data)");
            }
            expectedBegin = e.End;
        }
        if (expectedBegin > data.Length)
        {
            throw Corrupt(source,
                $"the header describes {expectedBegin} bytes of tensor data but only {data.Length} follow the header — the file is truncated");
        }
        if (expectedBegin != data.Length)
        {
            throw Corrupt(source, $"the header describes {expectedBegin} bytes of tensor data but {data.Length} follow the header (trailing bytes)");
        }

        var tensors = new Dictionary<string, Tensor>(entries.Count, StringComparer.Ordinal);
        foreach (var e in entries)
        {
            tensors[e.Name] = Decode(e, data.Slice((int)e.Begin, (int)(e.End - e.Begin)));
        }
        return (tensors, metadata);
    }

    /// <summary>
    /// Writes tensors (and optional metadata) to <paramref name="path"/> atomically: the bytes go to a temporary file
    /// in the same folder, are flushed to disk, and the temporary file then replaces <paramref name="path"/>; a crash
    /// never leaves a half-written file under the final name.
    /// </summary>
    /// <param name="path">Destination file; its folder must exist.</param>
    /// <param name="tensors">Tensors by name (any layout; views are written densely). Names must not be <c>__metadata__</c>.</param>
    /// <param name="metadata">Optional string map stored as <c>__metadata__</c>.</param>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = Serialize(tensors, metadata);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"SafeTensors.Save: the folder '{dir}' for '{path}' does not exist; create it first.");
        }
        Checkpoint.WriteAtomically(full, bytes);
    }

    /// <summary>The safetensors bytes for <paramref name="tensors"/> and <paramref name="metadata"/> (what <see cref="Save"/> writes).</summary>
    /// <param name="tensors">Tensors by name; float32, float64 or int64.</param>
    /// <param name="metadata">Optional string map stored as <c>__metadata__</c>.</param>
    public static byte[] Serialize(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        using var headerStream = new MemoryStream();
        using (var w = new Utf8JsonWriter(headerStream))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WritePropertyName(MetadataKey);
                w.WriteStartObject();
                foreach (var kv in metadata.OrderBy(k => k.Key, StringComparer.Ordinal))
                {
                    w.WriteString(kv.Key, kv.Value);
                }
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var name in names)
            {
                if (name == MetadataKey)
                {
                    throw new ArgumentException($"SafeTensors.Save: '{MetadataKey}' is reserved for the metadata map and cannot name a tensor.", nameof(tensors));
                }
                var t = tensors[name] ?? throw new ArgumentException($"SafeTensors.Save: tensor '{name}' is null.", nameof(tensors));
                var size = (long)t.Numel * t.DType.ElementSize();
                w.WritePropertyName(name);
                w.WriteStartObject();
                w.WriteString("dtype", DTypeCode(t.DType));
                w.WritePropertyName("shape");
                w.WriteStartArray();
                foreach (var d in t.Shape)
                {
                    w.WriteNumberValue(d);
                }
                w.WriteEndArray();
                w.WritePropertyName("data_offsets");
                w.WriteStartArray();
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + size);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += size;
            }
            w.WriteEndObject();
        }
        var header = headerStream.ToArray();
        var padded = (header.Length + 7) / 8 * 8;
        long total = 8L + padded + names.Sum(n => (long)tensors[n].Numel * tensors[n].DType.ElementSize());
        if (total > Array.MaxLength)
        {
            throw new ArgumentException($"SafeTensors.Save: {total} bytes exceed the largest array .NET can hold; split the tensors over several files.", nameof(tensors));
        }
        var bytes = new byte[total];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        header.CopyTo(bytes, 8);
        bytes.AsSpan(8 + header.Length, padded - header.Length).Fill((byte)' ');
        var pos = 8 + padded;
        foreach (var name in names)
        {
            var t = tensors[name];
            var span = bytes.AsSpan(pos, t.Numel * t.DType.ElementSize());
            switch (t.DType)
            {
                case DType.Float32: WriteLittleEndian(t.ToArray<float>(), span); break;
                case DType.Float64: WriteLittleEndian(t.ToArray<double>(), span); break;
                default: WriteLittleEndian(t.ToArray<long>(), span); break;
            }
            pos += span.Length;
        }
        return bytes;
    }

    private static string DTypeCode(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        _ => "I64",
    };

    private static void WriteLittleEndian<T>(T[] values, Span<byte> dst)
        where T : unmanaged
    {
        var src = MemoryMarshal.AsBytes(values.AsSpan());
        src.CopyTo(dst);
        if (!BitConverter.IsLittleEndian)
        {
            ReverseEach(dst, Marshal.SizeOf<T>());
        }
    }

    private static void ReverseEach(Span<byte> bytes, int size)
    {
        for (var i = 0; i < bytes.Length; i += size)
        {
            bytes.Slice(i, size).Reverse();
        }
    }

    private static int CheckHeaderLength(ulong n, long available, string source)
    {
        if (n > MaxHeaderSize)
        {
            throw Corrupt(source, $"the header length field says {n} bytes, more than the {MaxHeaderSize}-byte limit — " +
                "this is probably not a safetensors file (the first 8 bytes must be the little-endian header length)");
        }
        if ((long)n > available)
        {
            throw Corrupt(source, $"the header length field says {n} bytes but only {available} bytes follow it — the file is truncated");
        }
        if (n < 2)
        {
            throw Corrupt(source, $"the header length is {n}; a header is at least '{{}}'");
        }
        return (int)n;
    }

    private sealed record Entry(string Name, string DTypeCode, int[] Shape, long Begin, long End);

    private static (List<Entry> Entries, Dictionary<string, string> Metadata) ParseHeader(ReadOnlySpan<byte> header, string source)
    {
        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            Expect(ref reader, JsonTokenType.StartObject, "the header must be a JSON object", source);
            while (true)
            {
                Read(ref reader, source);
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }
                var name = reader.GetString()!;
                if (!seen.Add(name))
                {
                    throw Corrupt(source, $"the header names '{name}' twice");
                }
                if (name == MetadataKey)
                {
                    Expect(ref reader, JsonTokenType.StartObject, $"'{MetadataKey}' must be an object of strings", source);
                    while (true)
                    {
                        Read(ref reader, source);
                        if (reader.TokenType == JsonTokenType.EndObject)
                        {
                            break;
                        }
                        var key = reader.GetString()!;
                        Expect(ref reader, JsonTokenType.String, $"'{MetadataKey}' value for '{key}' must be a string", source);
                        metadata[key] = reader.GetString()!;
                    }
                    continue;
                }
                entries.Add(ParseEntry(ref reader, name, source));
            }
            // Only padding may follow the object.
            if (reader.Read())
            {
                throw Corrupt(source, "the header has content after its closing brace");
            }
        }
        catch (JsonException ex)
        {
            throw Corrupt(source, $"the header is not valid JSON ({ex.Message})");
        }
        return (entries, metadata);
    }

    private static Entry ParseEntry(ref Utf8JsonReader reader, string name, string source)
    {
        Expect(ref reader, JsonTokenType.StartObject, $"tensor '{name}' must be an object with dtype, shape and data_offsets", source);
        string? dtype = null;
        List<long>? shape = null;
        List<long>? offsets = null;
        while (true)
        {
            Read(ref reader, source);
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }
            var prop = reader.GetString();
            switch (prop)
            {
                case "dtype":
                    Expect(ref reader, JsonTokenType.String, $"tensor '{name}': dtype must be a string such as \"F32\"", source);
                    dtype = reader.GetString();
                    break;
                case "shape":
                    shape = ReadLongArray(ref reader, $"tensor '{name}': shape", source);
                    break;
                case "data_offsets":
                    offsets = ReadLongArray(ref reader, $"tensor '{name}': data_offsets", source);
                    break;
                default:
                    throw Corrupt(source, $"tensor '{name}' has an unknown field '{prop}' (expected dtype, shape, data_offsets)");
            }
        }
        if (dtype is null || shape is null || offsets is null)
        {
            var missing = string.Join(", ", new[] { dtype is null ? "dtype" : null, shape is null ? "shape" : null, offsets is null ? "data_offsets" : null }.OfType<string>());
            throw Corrupt(source, $"tensor '{name}' lacks {missing}");
        }
        if (offsets.Count != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
        {
            throw Corrupt(source, $"tensor '{name}': data_offsets must be [begin, end] with 0 ≤ begin ≤ end; got [{string.Join(", ", offsets)}]");
        }
        var elem = ElementSize(dtype) ?? throw Corrupt(source,
            $"tensor '{name}' has dtype '{dtype}', which Sequin cannot read (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
        long numel = 1;
        foreach (var d in shape)
        {
            if (d < 0 || d > int.MaxValue)
            {
                throw Corrupt(source, $"tensor '{name}' has an invalid shape [{string.Join(", ", shape)}]");
            }
            numel *= d;
            if (numel > int.MaxValue)
            {
                throw Corrupt(source, $"tensor '{name}' of shape [{string.Join(", ", shape)}] has more elements than a Sequin tensor can hold");
            }
        }
        if (offsets[1] - offsets[0] != numel * elem)
        {
            throw Corrupt(source,
                $"tensor '{name}' ({dtype}, shape [{string.Join(", ", shape)}]) needs {numel} × {elem} = {numel * elem} bytes " +
                $"but data_offsets [{offsets[0]}, {offsets[1]}] span {offsets[1] - offsets[0]}");
        }
        return new Entry(name, dtype, shape.Select(d => (int)d).ToArray(), offsets[0], offsets[1]);
    }

    private static List<long> ReadLongArray(ref Utf8JsonReader reader, string what, string source)
    {
        Expect(ref reader, JsonTokenType.StartArray, what + " must be an array of integers", source);
        var list = new List<long>();
        while (true)
        {
            Read(ref reader, source);
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return list;
            }
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var v))
            {
                throw Corrupt(source, what + " must be an array of integers");
            }
            list.Add(v);
        }
    }

    private static void Read(ref Utf8JsonReader reader, string source)
    {
        if (!reader.Read())
        {
            throw Corrupt(source, "the header JSON ends early");
        }
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string message, string source)
    {
        Read(ref reader, source);
        if (reader.TokenType != type)
        {
            throw Corrupt(source, message);
        }
    }

    private static int? ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" => 8,
        "F32" or "I32" => 4,
        "F16" or "BF16" or "I16" => 2,
        "I8" or "U8" or "BOOL" => 1,
        _ => null,
    };

    private static Tensor Decode(Entry e, ReadOnlySpan<byte> src)
    {
        var n = ShapeUtil.Numel(e.Shape);
        var strides = ShapeUtil.ContiguousStrides(e.Shape);
        switch (e.DTypeCode)
        {
            case "F64":
                {
                    var a = new double[n];
                    for (var i = 0; i < n; i++)
                    {
                        a[i] = BinaryPrimitives.ReadDoubleLittleEndian(src[(i * 8)..]);
                    }
                    return new Tensor(a, DType.Float64, e.Shape, strides, 0);
                }
            case "F32":
                {
                    var a = new float[n];
                    for (var i = 0; i < n; i++)
                    {
                        a[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(i * 4)..]);
                    }
                    return new Tensor(a, DType.Float32, e.Shape, strides, 0);
                }
            case "F16":
                {
                    var a = new float[n];
                    for (var i = 0; i < n; i++)
                    {
                        a[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src[(i * 2)..]);
                    }
                    return new Tensor(a, DType.Float32, e.Shape, strides, 0);
                }
            case "BF16":
                {
                    var a = new float[n];
                    for (var i = 0; i < n; i++)
                    {
                        // bfloat16 is the top half of a float32.
                        a[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(i * 2)..]) << 16);
                    }
                    return new Tensor(a, DType.Float32, e.Shape, strides, 0);
                }
            default:
                {
                    var a = new long[n];
                    for (var i = 0; i < n; i++)
                    {
                        a[i] = e.DTypeCode switch
                        {
                            "I64" => BinaryPrimitives.ReadInt64LittleEndian(src[(i * 8)..]),
                            "I32" => BinaryPrimitives.ReadInt32LittleEndian(src[(i * 4)..]),
                            "I16" => BinaryPrimitives.ReadInt16LittleEndian(src[(i * 2)..]),
                            "I8" => (sbyte)src[i],
                            _ => src[i], // U8, BOOL
                        };
                    }
                    return new Tensor(a, DType.Int64, e.Shape, strides, 0);
                }
        }
    }

    private static InvalidDataException Corrupt(string source, string detail)
        => new($"Cannot read safetensors '{source}': {detail}.");
}
