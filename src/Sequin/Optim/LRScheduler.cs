namespace Sequin.Optim;

/// <summary>
/// Base of the learning-rate schedulers (<c>torch.optim.lr_scheduler.LRScheduler</c>): remembers each group's
/// initial learning rate and sets <c>lr</c> from the epoch count on every <see cref="Step"/>.
/// </summary>
public abstract class LRScheduler
{
    private readonly double[] baseLrs;

    /// <summary>Creates the scheduler and records the base learning rates.</summary>
    protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        baseLrs = [.. optimizer.ParamGroups.Select(g => g.Lr)];
    }

    /// <summary>The optimizer whose learning rates are scheduled.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Number of <see cref="Step"/> calls so far (<c>last_epoch</c>).</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The learning rate of each group now (<c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> LastLr => [.. Optimizer.ParamGroups.Select(g => g.Lr)];

    /// <summary>Advances one epoch and updates every group's learning rate.</summary>
    public void Step()
    {
        LastEpoch++;
        Apply();
    }

    /// <summary>Sets the epoch count (for resuming) and the learning rates that go with it.</summary>
    public void SetEpoch(int epoch)
    {
        LastEpoch = epoch;
        Apply();
    }

    private void Apply()
    {
        for (var i = 0; i < baseLrs.Length; i++)
        {
            Optimizer.ParamGroups[i].Lr = LearningRate(baseLrs[i], LastEpoch);
        }
    }

    /// <summary>The learning rate at <paramref name="epoch"/> for a group whose initial rate is <paramref name="baseLr"/>.</summary>
    protected abstract double LearningRate(double baseLr, int epoch);
}

/// <summary>Multiplies the learning rate by <c>gamma</c> every <c>step_size</c> epochs (<c>StepLR</c>): <c>lr = base·γ^⌊epoch/step_size⌋</c>.</summary>
public sealed class StepLR : LRScheduler
{
    private readonly int stepSize;
    private readonly double gamma;

    /// <summary>Creates the scheduler.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="stepSize">Period of decay in epochs (<c>step_size</c>).</param>
    /// <param name="gamma">Multiplicative factor (default 0.1).</param>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1)
        : base(optimizer)
    {
        if (stepSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "StepLR: step_size must be a positive number of epochs.");
        }
        this.stepSize = stepSize;
        this.gamma = gamma;
    }

    /// <inheritdoc/>
    protected override double LearningRate(double baseLr, int epoch) => baseLr * Math.Pow(gamma, epoch / stepSize);
}

/// <summary>
/// Cosine annealing (<c>CosineAnnealingLR</c>) in closed form:
/// <c>lr = η_min + (base − η_min)·(1 + cos(π·epoch/T_max))/2</c>.
/// </summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    private readonly int tMax;
    private readonly double etaMin;

    /// <summary>Creates the scheduler.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="tMax">Half period in epochs (<c>T_max</c>).</param>
    /// <param name="etaMin">Minimum learning rate (<c>eta_min</c>).</param>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0)
        : base(optimizer)
    {
        if (tMax <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(tMax), tMax, "CosineAnnealingLR: T_max must be a positive number of epochs.");
        }
        this.tMax = tMax;
        this.etaMin = etaMin;
    }

    /// <inheritdoc/>
    protected override double LearningRate(double baseLr, int epoch) => etaMin + ((baseLr - etaMin) * (1 + Math.Cos(Math.PI * epoch / tMax)) / 2);
}
