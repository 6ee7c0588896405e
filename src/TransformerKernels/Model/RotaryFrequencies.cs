namespace TransformerKernels;

/// <summary>
/// The rotation frequency of each pair of rotated dimensions, with Hugging Face's <c>rope_scaling</c> applied. The one
/// place the formula lives: the generated rotary tables call it once per process, the tests compare it with PyTorch.
/// </summary>
public static class RotaryFrequencies
{
    /// <summary>
    /// inv_freq[i] = θ^(−2i/r) for i &lt; r/2, then scaled. <see cref="RopeScaling.Linear"/>: inv_freq / factor.
    /// <see cref="RopeScaling.Llama3"/> (Hugging Face's <c>_compute_llama3_parameters</c>): with wavelength λ = 2π / inv_freq,
    /// λ &gt; original / low → inv_freq / factor; λ &lt; original / high → inv_freq; between, with
    /// smooth = (original / λ − low) / (high − low): (1 − smooth)·inv_freq / factor + smooth·inv_freq. Computed in double.
    /// </summary>
    /// <param name="theta">Base θ (rope_theta).</param>
    /// <param name="rotaryDimensions">Rotated dimensions per head r (even).</param>
    /// <param name="scaling">Which scaling.</param>
    /// <param name="factor">rope_scaling.factor.</param>
    /// <param name="lowFrequencyFactor">rope_scaling.low_freq_factor (Llama 3).</param>
    /// <param name="highFrequencyFactor">rope_scaling.high_freq_factor (Llama 3).</param>
    /// <param name="originalMaxPositions">rope_scaling.original_max_position_embeddings (Llama 3).</param>
    /// <returns>r/2 frequencies in radians per position.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A parameter outside what the scaling accepts.</exception>
    public static double[] Compute(double theta, int rotaryDimensions, RopeScaling scaling, double factor, double lowFrequencyFactor, double highFrequencyFactor, int originalMaxPositions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rotaryDimensions, 2);
        if (!(theta > 1) || double.IsInfinity(theta))
        {
            throw new ArgumentOutOfRangeException(nameof(theta), theta, "θ must be a finite number above 1.");
        }
        if (scaling != RopeScaling.None && (!(factor >= 1) || double.IsInfinity(factor)))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "The scaling factor must be a finite number of at least 1.");
        }
        if (scaling == RopeScaling.Llama3 && (!(lowFrequencyFactor > 0) || !(highFrequencyFactor > lowFrequencyFactor) || double.IsInfinity(highFrequencyFactor) || originalMaxPositions < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(highFrequencyFactor), highFrequencyFactor,
                $"Llama 3 scaling needs 0 < low_freq_factor ({lowFrequencyFactor}) < high_freq_factor ({highFrequencyFactor}) and original_max_position_embeddings ({originalMaxPositions}) ≥ 1.");
        }
        var frequencies = new double[rotaryDimensions / 2];
        for (int i = 0; i < frequencies.Length; i++)
        {
            double frequency = 1.0 / Math.Pow(theta, 2.0 * i / rotaryDimensions);
            frequencies[i] = scaling switch
            {
                RopeScaling.Linear => frequency / factor,
                RopeScaling.Llama3 => Llama3(frequency, factor, lowFrequencyFactor, highFrequencyFactor, originalMaxPositions),
                RopeScaling.None => frequency,
                _ => throw new ArgumentOutOfRangeException(nameof(scaling), scaling, "Unknown rotary scaling."),
            };
        }
        return frequencies;
    }

    private static double Llama3(double frequency, double factor, double low, double high, int original)
    {
        double wavelength = 2 * Math.PI / frequency;
        if (wavelength > original / low)
        {
            return frequency / factor;
        }
        if (wavelength < original / high)
        {
            return frequency;
        }
        double smooth = (original / wavelength - low) / (high - low);
        return (1 - smooth) * frequency / factor + smooth * frequency;
    }
}
