using System.Text.Json;

namespace TransformerKernels.Server;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the models this server serves, in OpenAI's list form.</summary>
internal static class ModelsEndpoint
{
    private static readonly long Created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static async Task ListAsync(HttpContext context, IReadOnlyList<string> ids)
    {
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        foreach (string id in ids)
        {
            Model(json, id);
        }
        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }

    public static async Task GetAsync(HttpContext context, string id, IReadOnlyList<string> ids)
    {
        if (ids.FirstOrDefault(known => string.Equals(known, id, StringComparison.OrdinalIgnoreCase)) is not { } found)
        {
            await OpenAiErrors.WriteAsync(context, new RequestProblem(404, $"The model '{id}' does not exist.", "model", "model_not_found"));
            return;
        }
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        Model(json, found);
        await json.FlushAsync(context.RequestAborted);
    }

    private static void Model(Utf8JsonWriter json, string id)
    {
        json.WriteStartObject();
        json.WriteString("id", id);
        json.WriteString("object", "model");
        json.WriteNumber("created", Created);
        json.WriteString("owned_by", "transformerkernels");
        json.WriteEndObject();
    }
}
