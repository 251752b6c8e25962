"""The families' Keras models: networks, training steps and the blocks they share.

Imported only when a model is built or loaded (``genlib.models.create_model`` and
``load_model``); each family's card in ``genlib/models/`` names its class here.
"""
