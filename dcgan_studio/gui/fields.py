"""What each setting of a run is called in the window, and what it does (its tooltip).

One table for the Training dock's labels and for the window's wording of the core's messages
(``gui.wording`` names a control where the command line would name a flag).
"""

from __future__ import annotations

LOCKED_TIP = "Fixed while training runs (it would make other networks or data): Stop first."

# field -> (label, tooltip)
FIELDS: dict[str, tuple[str, str]] = {
    "data.dataset": (
        "Dataset",
        "What D sees as real. 'digits' is 10,000 MNIST handwritten "
        "digits that ship with the app, so no download is needed.",
    ),
    "model.image_size": (
        "Image size",
        "Height and width of the images. G doubles its map with "
        "each transposed convolution, from 4x4 (or 7x7 for 28) up to this.",
    ),
    "model.channels": (
        "Channels",
        "1 trains in grayscale, 3 in colour. Choosing a colour "
        "dataset (shapes, CIFAR-10, SVHN, CelebA) picks 3; grayscale data shown "
        "in 3 channels stays grey.",
    ),
    "model.nz": (
        "Latent size (nz)",
        "Length of the random vector z that G turns into an image. The DCGAN paper uses 100.",
    ),
    "model.ngf": (
        "G width (ngf)",
        "Channels of G's last hidden layer; earlier layers have 2x, "
        "4x, ... as many. Wider learns more, but each step is slower.",
    ),
    "model.ndf": (
        "D width (ndf)",
        "Channels of D's first layer; later layers double it. Keep it "
        "close to ngf so neither network overpowers the other. The paper uses 64 (G and D); "
        "32 learns digits faster per second on a small CPU.",
    ),
    "model.d_dropout": (
        "D dropout",
        "Share of D's activations zeroed at random in training. It "
        "slows D down a little; the TensorFlow tutorial uses 0.3. 0 turns it off.",
    ),
    "optim.batch_size": (
        "Batch size",
        "Images per step for D (real and fake) and G. The paper "
        "uses 128; the default 32 learns faster per second on a small CPU. Larger batches give "
        "steadier but slower steps.",
    ),
    "optim.lr_g": (
        "G learning rate",
        "How far Adam moves G each step. The paper uses 0.0002 "
        "at batch 128; 0.0012 learns much faster at batch 32. Can be changed while "
        "training, to see what happens.",
    ),
    "optim.lr_d": (
        "D learning rate",
        "How far Adam moves D each step (paper: 0.0002 at batch "
        "128). Lower it if D wins too easily. Can be changed while training.",
    ),
    "optim.beta1": (
        "Adam beta1",
        "Momentum of Adam. The DCGAN paper found 0.5 steadier than the usual 0.9 for GANs.",
    ),
    "optim.beta2": (
        "Adam beta2",
        "How long Adam remembers the size of past gradients; 0.999 is the usual value.",
    ),
    "optim.d_steps": (
        "D steps per G step",
        "How many times D is updated before each update of "
        "G. 1 is the DCGAN setting; more makes D stronger.",
    ),
    "optim.ema_decay": (
        "G (EMA) decay",
        "G (EMA) is G with its weights averaged over its last updates, each new one weighing "
        "1 - this; it often draws cleaner images than G itself (pick it above the sample grid "
        "and in the latent space). 0.9 averages about the last ten steps; 0 makes it G.",
    ),
    "schedule.iterations": (
        "Iterations",
        "How many G updates the run makes at most. Start trains until you press Stop or it "
        "gets this far; Start again continues a stopped run.",
    ),
    "schedule.seed": (
        "Seed",
        "Starts every random draw (weights, noise, batch order). With "
        "Deterministic on, the same seed gives a bit-identical run on the same "
        "CPU.",
    ),
    "runtime.device": (
        "Device",
        "Where training runs. auto picks a CUDA GPU, then Apple's MPS, then the CPU.",
    ),
    "runtime.precision": (
        "Precision",
        "fp32 is exact; bf16 is about twice as fast where the "
        "hardware runs it natively. auto picks bf16 only there.",
    ),
    "runtime.deterministic": (
        "Deterministic",
        "On the CPU, the same seed gives the same losses "
        "and weights to the last bit, run after run (on the same CPU, "
        "thread count and PyTorch), and a run continued after Stop goes on "
        "as if it had never stopped. The convolution kernels are chosen by "
        "a fixed rule instead of timing each in every run, which can be a "
        "little slower on some CPUs.",
    ),
    "runtime.tensorboard": (
        "TensorBoard",
        "Also write TensorBoard event files into the run folder (tensorboard/): the losses, "
        "D's outputs, the gradient norms, the quality scores and the sample grid, so that "
        "tensorboard --logdir with the runs folder shows this run beside your other "
        "experiments. Needs pip install 'dcgan-studio[tensorboard]'.",
    ),
}
LIVE_FIELDS = {"optim.lr_g", "optim.lr_d"}
# what each is for, in a few words: the dock is narrow
PRESET_TEXT = {"quick": "Fast on a CPU", "paper": "DCGAN paper (GPU)"}
PRESET_TIP = (
    "Fast on a CPU (the defaults): batch 32, widths 32, learning rates 0.0012. On a 2-core "
    "CPU it draws recognisable digits within about a minute. DCGAN paper (GPU): batch 128, "
    "widths 64, learning rates 0.0002, as Radford et al. trained faces and bedrooms on a GPU; "
    "several times slower to learn on a CPU. Both keep the DCGAN architecture, its N(0, 0.02) "
    "init and Adam with beta1 0.5. Custom: your own values."
)

# settings a run has that the Training panel does not show, named where other views show them
# (the Branch dialog, the runs library's differences)
SETTINGS: dict[str, tuple[str, str]] = {
    **FIELDS,
    "schedule.epochs": (
        "Epochs",
        "Passes over the real data in the whole run (this run's length is set in epochs).",
    ),
    "optim.label_smoothing": (
        "Label smoothing",
        "One-sided: D's target for real images is 1 minus this, so D is never quite sure. "
        "0 turns it off.",
    ),
}


def setting_name(dotted: str) -> str:
    """A setting as the window names it ("G learning rate"), else its own name."""
    return SETTINGS.get(dotted, (dotted.partition(".")[2].replace("_", " "),))[0]
