"""DCGAN Studio: train a Deep Convolutional GAN and watch it learn, live."""

__version__ = "0.1.0"
