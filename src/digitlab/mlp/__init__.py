"""The tutorial's second half: MNIST, the MLP, training, augmentation, evaluation, preprocessing."""
