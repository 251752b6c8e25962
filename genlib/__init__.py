"""genlib: generative image models (GAN, DCGAN, cGAN, VAE) on Keras 3.

The library under the GenLab workbench. It never imports streamlit; the app and
the CLI (``python -m genlib``) are thin layers over it.
"""

__version__ = "0.1.0"
