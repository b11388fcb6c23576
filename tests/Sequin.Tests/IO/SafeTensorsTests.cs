using System.Buffers.Binary;
using System.Text;
using Sequin.IO;
using Sequin.Tensors;

namespace Sequin.Tests.IO;

public class SafeTensorsTests
{
    private static string GoldenDir => Path.Combine(AppContext.BaseDirectory, "Golden");

    private static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sequin-st-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Builds a safetensors file by hand (independently of the writer) from a header string and raw data.</summary>
    private static byte[] Build(string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    [Fact]
    public void RoundTrip_IsBitExact_ForEveryDType_IncludingSpecialValues()
    {
        var f32 = Tensor.FromArray([1.5f, -0.0f, float.NaN, float.PositiveInfinity, float.Epsilon, float.MaxValue], 2, 3);
        var f64 = Tensor.FromArray([Math.PI, -0.0, double.NaN, double.NegativeInfinity, double.Epsilon, 1e308], 3, 2);
        var i64 = Tensor.FromArray([long.MinValue, -1L, 0L, long.MaxValue], 4);
        var scalar = Tensor.Scalar(2.25, DType.Float64);
        var empty = Tensor.Zeros([0, 3], DType.Float32);
        var view = Tensor.FromArray([1.0, 2, 3, 4, 5, 6], 2, 3).Transpose(0, 1); // non-contiguous: written densely
        var tensors = new Dictionary<string, Tensor> { ["f32"] = f32, ["f64"] = f64, ["i64"] = i64, ["scalar"] = scalar, ["empty"] = empty, ["view"] = view };
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode \"quoted\"" };

        var dir = TempDir();
        try
        {
            var path = Path.Combine(dir, "all.safetensors");
            SafeTensors.Save(path, tensors, meta);
            var (back, backMeta) = SafeTensors.Load(path);

            Assert.Equal(meta, backMeta);
            Assert.Equal(tensors.Keys.Order(), back.Keys.Order());
            foreach (var (name, t) in tensors)
            {
                Assert.Equal(t.DType, back[name].DType);
                Assert.Equal(t.Shape, back[name].Shape);
            }
            Assert.Equal(f32.ToArray<float>().Select(BitConverter.SingleToInt32Bits), back["f32"].ToArray<float>().Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(f64.ToArray<double>().Select(BitConverter.DoubleToInt64Bits), back["f64"].ToArray<double>().Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(i64.ToArray<long>(), back["i64"].ToArray<long>());
            Assert.Equal(2.25, back["scalar"].Item());
            Assert.Equal(new[] { 1.0, 4, 2, 5, 3, 6 }, back["view"].ToArray<double>());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Save_AlignsData_PadsHeaderWithSpaces_AndWritesSpecLayout()
    {
        var bytes = SafeTensors.Serialize(new Dictionary<string, Tensor> { ["b"] = Tensor.FromArray([7L], 1), ["a"] = Tensor.FromArray([1f, 2f], 2) });
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, n);
        Assert.Equal(header.TrimEnd(' ').Length, header.TrimEnd().Length);
        Assert.StartsWith("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]}}", header, StringComparison.Ordinal);
        Assert.Equal(8 + n + 16, bytes.Length);
        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + n)));
        Assert.Equal(7L, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8 + n + 8)));
    }

    [Fact]
    public void Reads_HandBuiltFile_WithHalfBFloat16AndNarrowIntegers()
    {
        // F16 1.0 = 0x3C00, -2.0 = 0xC000; BF16 1.0 = 0x3F80, 0.5 = 0x3F00; I32 -5, 70000; U8 255; BOOL 1.
        var data = new byte[] { 0x00, 0x3C, 0x00, 0xC0, 0x80, 0x3F, 0x00, 0x3F, 0xFB, 0xFF, 0xFF, 0xFF, 0x70, 0x11, 0x01, 0x00, 0xFF, 0x01 };
        var header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},\"bf\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}," +
                     "\"i\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[8,16]},\"u\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[16,17]}," +
                     "\"b\":{\"dtype\":\"BOOL\",\"shape\":[],\"data_offsets\":[17,18]}}";
        var (t, meta) = SafeTensors.Deserialize(Build(header, data));
        Assert.Empty(meta);
        Assert.Equal(DType.Float32, t["h"].DType);
        Assert.Equal(new[] { 1f, -2f }, t["h"].ToArray<float>());
        Assert.Equal(new[] { 1f, 0.5f }, t["bf"].ToArray<float>());
        Assert.Equal(DType.Int64, t["i"].DType);
        Assert.Equal(new[] { -5L, 70000L }, t["i"].ToArray<long>());
        Assert.Equal(255, t["u"].Item());
        Assert.Equal(1, t["b"].Item());
    }

    [Fact]
    public void Reads_EveryGoldenFile_AndItsMetadataMatchesIndexJson()
    {
        var files = Directory.GetFiles(GoldenDir, "*.safetensors");
        Assert.True(files.Length >= 200, $"expected the golden cases in {GoldenDir}, found {files.Length}");
        using var index = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenDir, "index.json")));
        var byName = index.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        foreach (var file in files)
        {
            var (tensors, meta) = SafeTensors.Load(file);
            Assert.Equal(Path.GetFileNameWithoutExtension(file), meta["name"]);
            Assert.NotEmpty(tensors);
            foreach (var prop in byName[meta["name"]].EnumerateObject())
            {
                Assert.Equal(prop.Value.GetString(), meta[prop.Name]);
            }
            Assert.Equal(meta, SafeTensors.LoadMetadata(file));
            // PyTorch's float32 run must agree with its float64 run: a decoding error would not.
            foreach (var (name, t32) in tensors.Where(kv => kv.Key.EndsWith("_f32", StringComparison.Ordinal)))
            {
                Assert.Equal(DType.Float32, t32.DType);
                var t64 = tensors[name[..^4]];
                Assert.Equal(DType.Float64, t64.DType);
                var a = t32.ToDoubleArray();
                var b = t64.ToArray<double>();
                for (var i = 0; i < a.Length; i++)
                {
                    Assert.True(Math.Abs(a[i] - b[i]) <= 1e-4 + 1e-3 * Math.Abs(b[i]), $"{file}: {name}[{i}] = {a[i]} vs {b[i]}");
                }
            }
        }
    }

    [Fact]
    public void Golden_LayerFile_DecodesToConsistentTensors()
    {
        // Unidirectional, one layer, not packed: h_n[0] is the last output step, an invariant of the data itself.
        var (t, meta) = SafeTensors.Load(Path.Combine(GoldenDir, "seed_rnn_5_10_1.safetensors"));
        Assert.Equal("layer", meta["kind"]);
        var output = t["output"];
        var last = output.Select(0, output.Size(0) - 1).ToArray<double>();
        Assert.Equal(last, t["h_n"].Select(0, 0).ToArray<double>());
    }

    [Fact]
    public void Truncated_File_ThrowsWithClearMessage()
    {
        var bytes = File.ReadAllBytes(Path.Combine(GoldenDir, "seed_rnn_5_10_1.safetensors"));
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(bytes.AsSpan(0, bytes.Length - 10), "x.safetensors"));
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        Assert.Contains("x.safetensors", ex.Message, StringComparison.Ordinal);

        var ex2 = Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(bytes.AsSpan(0, 100)));
        Assert.Contains("truncated", ex2.Message, StringComparison.Ordinal);

        var ex3 = Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(bytes.AsSpan(0, 5)));
        Assert.Contains("8-byte header length", ex3.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_Headers_ThrowWithClearMessages()
    {
        var notSt = Encoding.UTF8.GetBytes("PK\u0003\u0004 this is a zip file, not safetensors");
        Assert.Contains("probably not a safetensors file", Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(notSt)).Message, StringComparison.Ordinal);

        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(Build("{\"a\":{\"dtype\":", []))).Message, StringComparison.Ordinal);

        var wrongSize = Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]);
        Assert.Contains("needs 3 × 4 = 12 bytes", Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(wrongSize)).Message, StringComparison.Ordinal);

        var unknown = Build("{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]);
        Assert.Contains("'C64'", Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(unknown)).Message, StringComparison.Ordinal);

        var hole = Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]);
        Assert.Contains("hole", Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(hole)).Message, StringComparison.Ordinal);

        var overlap = Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]);
        Assert.Contains("overlap", Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(overlap)).Message, StringComparison.Ordinal);

        var badMeta = Build("{\"__metadata__\":{\"k\":1}}", []);
        Assert.Contains("must be a string", Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(badMeta)).Message, StringComparison.Ordinal);

        var dup = Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", []);
        Assert.Contains("twice", Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(dup)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_IsAtomic_ReplacesExistingFile_AndLeavesNoTempFiles()
    {
        var dir = TempDir();
        try
        {
            var path = Path.Combine(dir, "w.safetensors");
            SafeTensors.Save(path, new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray([1.0], 1) });
            SafeTensors.Save(path, new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray([2.0, 3.0], 2) });
            Assert.Equal(new[] { 2.0, 3.0 }, SafeTensors.Load(path).Tensors["x"].ToArray<double>());

            // A failing save leaves the previous file intact.
            Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Zeros(1) }));
            Assert.Equal(new[] { 2.0, 3.0 }, SafeTensors.Load(path).Tensors["x"].ToArray<double>());
            Assert.Equal(new[] { "w.safetensors" }, Directory.GetFiles(dir).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Load_MissingFile_NamesThePath()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => SafeTensors.Load("/nonexistent/model.safetensors"));
        Assert.Contains("/nonexistent/model.safetensors", ex.Message, StringComparison.Ordinal);
    }
}
