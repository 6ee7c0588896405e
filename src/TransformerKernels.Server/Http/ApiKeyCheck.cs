using System.Security.Cryptography;
using System.Text;

namespace TransformerKernels.Server;

/// <summary>
/// <c>--api-key</c>: every request under <c>/v1</c> must carry <c>Authorization: Bearer KEY</c>, else 401 in OpenAI's
/// envelope. The presented and expected keys are compared as SHA-256 hashes with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither the position of the first wrong character nor the
/// key's length shows in the time an answer takes; a missing key is hashed and compared the same way.
/// </summary>
internal sealed class ApiKeyCheck(string key)
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>Whether the request carries the key.</summary>
    public bool Accepts(HttpRequest request, out bool presented)
    {
        string header = request.Headers.Authorization.ToString();
        presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);
        string token = presented ? header[7..].Trim() : "";
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), hash);
        return CryptographicOperations.FixedTimeEquals(hash, _expected) && presented;
    }

    public Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (!context.Request.Path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase) || Accepts(context.Request, out bool presented))
        {
            return next();
        }
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return OpenAiErrors.WriteAsync(context, presented
            ? new RequestProblem(401, "Incorrect API key provided.", null, "invalid_api_key")
            : new RequestProblem(401, "You didn't provide an API key: send it as 'Authorization: Bearer KEY'.", null, "missing_api_key"));
    }
}
