namespace TransformerKernels.Server;

/// <summary>How a request's <c>model</c> names a served model: its id, or the id's last segment ("all-MiniLM-L6-v2" for "sentence-transformers/all-MiniLM-L6-v2"), in any case.</summary>
internal static class ModelIds
{
    public static bool Matches(string requested, string id) =>
        string.Equals(requested, id, StringComparison.OrdinalIgnoreCase)
        || string.Equals(requested, id[(id.LastIndexOf('/') + 1)..], StringComparison.OrdinalIgnoreCase);
}
