using System.Buffers;
using System.Globalization;

namespace TransformerKernels.MiniLM;

/// <summary>
/// The cache directory's rules. Every file is written beside its destination as <c>NAME.PID.tmp</c>, then renamed over
/// it, then sealed: <c>NAME.seal</c> records its size and <see cref="CacheChecksum"/>. A file is used only when its seal matches, so a
/// truncated, damaged or half-replaced file (a vocabulary cut short changed embeddings silently) is rebuilt instead of
/// read. Temporaries that a killed conversion left behind are removed on the next start.
/// </summary>
internal static class CacheFiles
{
    /// <summary>A temporary this old is abandoned even if a process with its id exists (ids are reused).</summary>
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

    /// <summary>Where a file is written before it is renamed to <paramref name="destination"/>.</summary>
    public static string TemporaryPath(string destination) => $"{destination}.{Environment.ProcessId}.tmp";

    /// <summary>The seal of <paramref name="path"/>.</summary>
    public static string SealPath(string path) => path + ".seal";

    /// <summary>
    /// Writes <paramref name="destination"/> through <paramref name="write"/>, which is given the temporary path to create,
    /// then renames the temporary over the destination and seals it. A failed write leaves neither a partial file nor a
    /// temporary behind.
    /// </summary>
    public static void Write(string destination, Action<string> write)
    {
        string temporary = TemporaryPath(destination);
        try
        {
            write(temporary);
            string seal = Describe(temporary);
            // The old seal goes first: a crash between the rename and the new seal leaves an unsealed file, which is rebuilt.
            File.Delete(SealPath(destination));
            File.Move(temporary, destination, overwrite: true);
            string sealTemporary = TemporaryPath(SealPath(destination));
            File.WriteAllText(sealTemporary, seal);
            File.Move(sealTemporary, SealPath(destination), overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                TryDelete(temporary);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next start's sweep.
        }
    }

    /// <summary>True when <paramref name="path"/> exists and matches its seal (size first: a cut file is caught without reading it).</summary>
    public static bool IsIntact(string path)
    {
        try
        {
            if (!File.Exists(path) || !File.Exists(SealPath(path)))
            {
                return false;
            }
            string seal = File.ReadAllText(SealPath(path));
            string size = SizeLine(new FileInfo(path).Length);
            return seal.StartsWith(size, StringComparison.Ordinal) && seal == Describe(path);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Size and hash of a file, as its seal stores them.</summary>
    private static string Describe(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var checksum = new CacheChecksum();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(CacheChecksum.ChunkBytes);
        try
        {
            int read;
            while ((read = stream.ReadAtLeast(buffer.AsSpan(0, CacheChecksum.ChunkBytes), CacheChecksum.ChunkBytes, throwOnEndOfStream: false)) > 0)
            {
                checksum.Append(buffer.AsSpan(0, read));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return SizeLine(stream.Length) + string.Create(CultureInfo.InvariantCulture, $"checksum {checksum.Value:x16}\n");
    }

    private static string SizeLine(long size) => string.Create(CultureInfo.InvariantCulture, $"size {size}\n");

    /// <summary>
    /// Creates <paramref name="directory"/> if needed. A path that is a file or lies below one is refused with a
    /// <see cref="CacheDirectoryException"/> naming <paramref name="setting"/>, the variable that chose it.
    /// </summary>
    public static void EnsureDirectory(string directory, string setting)
    {
        if (File.Exists(directory))
        {
            throw new CacheDirectoryException(directory, $"is a file, not a directory (set {setting} to a directory)");
        }
        for (string? parent = Path.GetDirectoryName(Path.GetFullPath(directory)); parent is not null; parent = Path.GetDirectoryName(parent))
        {
            if (File.Exists(parent))
            {
                throw new CacheDirectoryException(directory, $"lies below the file '{parent}' (set {setting} to a directory)");
            }
        }
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CacheDirectoryException(directory, $"cannot be created: {e.Message} (set {setting} to a writable directory)", e);
        }
    }

    /// <summary>Deletes <c>*.PID.tmp</c> files whose process is gone, or that are older than an hour.</summary>
    public static void RemoveStaleTemporaries(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }
        try
        {
            foreach (string path in Directory.EnumerateFiles(directory, "*.tmp"))
            {
                string withoutTmp = Path.GetFileNameWithoutExtension(path);
                if (!int.TryParse(Path.GetExtension(withoutTmp).TrimStart('.'), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ||
                    pid == Environment.ProcessId)
                {
                    continue;
                }
                if (!ProcessIsAlive(pid) || DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > AbandonedAfter)
                {
                    File.Delete(path);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only cache cannot be tidied; it is still usable.
        }
    }

    private static bool ProcessIsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
