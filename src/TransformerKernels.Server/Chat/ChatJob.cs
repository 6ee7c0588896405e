using System.Threading.Channels;

namespace TransformerKernels.Server;

/// <summary>
/// One admitted chat completion between its handler and the scheduler: the scheduler writes each generated token to
/// <see cref="Tokens"/> and completes it when the generation ends (with <see cref="FinishReason"/>); the handler reads,
/// and calls <see cref="Abandon"/> when it no longer wants tokens (client gone, stop string found), which frees the slot
/// at the scheduler's next step.
/// </summary>
internal sealed class ChatJob(ChatWork work)
{
    private readonly Channel<int> _tokens = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private int _abandoned;

    public ChatWork Work { get; } = work;

    /// <summary>Generated token ids, in order; completed when the generation ends (an exception when it failed).</summary>
    public ChannelReader<int> Tokens => _tokens.Reader;

    internal ChannelWriter<int> Writer => _tokens.Writer;

    /// <summary>Why the generation ended: "stop" (end of text) or "length" (the token limit); set before Tokens completes.</summary>
    public string FinishReason { get; internal set; } = "stop";

    /// <summary>The slot it decodes in, −1 while waiting.</summary>
    internal int Slot { get; set; } = -1;

    public bool IsAbandoned => Volatile.Read(ref _abandoned) != 0;

    /// <summary>The handler is done with it (idempotent).</summary>
    public void Abandon() => Interlocked.Exchange(ref _abandoned, 1);
}
