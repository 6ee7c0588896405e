using System.Globalization;
using System.Text;

namespace TransformerKernels.ChineseEnglish;

/// <summary>
/// Draws cross-attention weights as an SVG heatmap: source characters across, target words down, darker = more weight
/// (averaged over heads). The seed's picture of which source positions each output word attends to.
/// </summary>
public static class AttentionHeatmap
{
    /// <summary>Writes the heatmap of <paramref name="weights"/>[target][source] to <paramref name="path"/>.</summary>
    public static void WriteSvg(string path, IReadOnlyList<string> sourceTokens, IReadOnlyList<string> targetTokens, float[][] weights)
    {
        const int cell = 44, left = 130, top = 60;
        int width = Math.Max(left + cell * sourceTokens.Count + 20, 480), height = top + cell * targetTokens.Count + 40;
        var svg = new StringBuilder();
        string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
        svg.AppendLine($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"16\">");
        svg.AppendLine($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>");
        svg.AppendLine($"<text x=\"{left}\" y=\"22\" font-size=\"13\" fill=\"#444\">cross-attention, last decoder block (mean over heads)</text>");
        for (int j = 0; j < sourceTokens.Count; j++)
        {
            svg.AppendLine($"<text x=\"{F(left + cell * j + cell / 2.0)}\" y=\"{top - 10}\" text-anchor=\"middle\">{Escape(sourceTokens[j])}</text>");
        }
        for (int i = 0; i < targetTokens.Count; i++)
        {
            svg.AppendLine($"<text x=\"{left - 10}\" y=\"{F(top + cell * i + cell / 2.0 + 5)}\" text-anchor=\"end\">{Escape(targetTokens[i])}</text>");
            for (int j = 0; j < sourceTokens.Count; j++)
            {
                float w = Math.Clamp(weights[i][j], 0f, 1f);
                int shade = (int)(255 - 215 * MathF.Sqrt(w));
                svg.AppendLine($"<rect x=\"{left + cell * j}\" y=\"{top + cell * i}\" width=\"{cell - 2}\" height=\"{cell - 2}\" fill=\"rgb({shade},{shade},255)\">" +
                               $"<title>{Escape(targetTokens[i])} → {Escape(sourceTokens[j])}: {w.ToString("F3", CultureInfo.InvariantCulture)}</title></rect>");
            }
        }
        svg.AppendLine("</svg>");
        File.WriteAllText(path, svg.ToString());
    }

    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
