# The paper's AdamW optimisation (Tab. 6) for the PEFT methods that tune
# part of the backbone (Partial, Bias, Adapter): as Full's schedule, but the
# optimizer sees the trainable parameters only (no state, no weight decay
# for the frozen backbone).
_base_ = './full_adamw-100e.py'
optim_wrapper = dict(constructor='FrozenBackboneOptimWrapperConstructor')
