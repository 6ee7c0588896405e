using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace TransformerKernels.Server;

/// <summary>
/// Prometheus text exposition (format 0.0.4) of one meter's instruments, collected by a <see cref="MeterListener"/>:
/// counters summed per tag set, histograms bucketed by their advised boundaries (cumulative <c>_bucket{le}</c>,
/// <c>_sum</c>, <c>_count</c>), observable instruments read at each scrape. Small on purpose — OpenTelemetry's exporter
/// would do the same with a dependency the server does not otherwise need.
/// </summary>
internal sealed class PrometheusExporter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<InstrumentSeries> _instruments = [];
    private readonly Lock _lock = new();

    public PrometheusExporter(string meterName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName)
            {
                var series = new InstrumentSeries(instrument);
                lock (_lock)
                {
                    _instruments.Add(series);
                }
                listener.EnableMeasurementEvents(instrument, series);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Every instrument's series as Prometheus text.</summary>
    public string Scrape()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        lock (_lock)
        {
            foreach (InstrumentSeries series in _instruments)
            {
                series.Write(text);
            }
        }
        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>One instrument's values per tag set.</summary>
    private sealed class InstrumentSeries
    {
        private readonly Instrument _instrument;
        private readonly double[]? _bounds;
        private readonly Dictionary<string, Values> _byLabels = [];
        private readonly bool _isHistogram, _isCumulativeObservation, _isCounter;

        public InstrumentSeries(Instrument instrument)
        {
            _instrument = instrument;
            _isHistogram = instrument is Histogram<double> or Histogram<int> or Histogram<long>;
            _bounds = instrument switch
            {
                Histogram<double> h => h.Advice?.HistogramBucketBoundaries?.ToArray(),
                Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                _ => null,
            } ?? (_isHistogram ? [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] : null);
            // Observable instruments report their current value (a gauge) or their running total (a counter).
            _isCumulativeObservation = instrument.IsObservable;
            _isCounter = instrument is Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double>;
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string labels = tags.IsEmpty ? "" : Labels(tags);
            lock (_byLabels)
            {
                if (!_byLabels.TryGetValue(labels, out Values? values))
                {
                    values = new Values(_bounds?.Length ?? 0);
                    _byLabels[labels] = values;
                }
                if (_isCumulativeObservation)
                {
                    values.Sum = value;
                    return;
                }
                values.Sum += value;
                values.Count++;
                if (_bounds is not null)
                {
                    int bucket = 0;
                    while (bucket < _bounds.Length && value > _bounds[bucket])
                    {
                        bucket++;
                    }
                    if (bucket < _bounds.Length)
                    {
                        values.Buckets[bucket]++;
                    }
                }
            }
        }

        public void Write(StringBuilder text)
        {
            string name = _isCounter ? _instrument.Name + "_total" : _instrument.Name;
            string type = _isHistogram ? "histogram" : _isCounter ? "counter" : "gauge";
            text.Append("# HELP ").Append(name).Append(' ').Append(_instrument.Description).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            lock (_byLabels)
            {
                foreach ((string labels, Values values) in _byLabels)
                {
                    if (!_isHistogram)
                    {
                        Sample(text, name, labels, null, values.Sum);
                        continue;
                    }
                    long cumulative = 0;
                    for (int b = 0; b < _bounds!.Length; b++)
                    {
                        cumulative += values.Buckets[b];
                        Sample(text, name + "_bucket", labels, Number(_bounds[b]), cumulative);
                    }
                    Sample(text, name + "_bucket", labels, "+Inf", values.Count);
                    Sample(text, name + "_sum", labels, null, values.Sum);
                    Sample(text, name + "_count", labels, null, values.Count);
                }
            }
        }

        private static void Sample(StringBuilder text, string name, string labels, string? le, double value)
        {
            text.Append(name);
            if (labels.Length > 0 || le is not null)
            {
                text.Append('{').Append(labels);
                if (le is not null)
                {
                    text.Append(labels.Length > 0 ? "," : "").Append("le=\"").Append(le).Append('"');
                }
                text.Append('}');
            }
            text.Append(' ').Append(Number(value)).Append('\n');
        }

        private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

        private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = new StringBuilder();
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                string value = Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "";
                labels.Append(labels.Length > 0 ? "," : "").Append(tag.Key).Append("=\"")
                      .Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal))
                      .Append('"');
            }
            return labels.ToString();
        }
    }

    private sealed class Values(int buckets)
    {
        public double Sum;
        public long Count;
        public long[] Buckets { get; } = new long[buckets];
    }
}
