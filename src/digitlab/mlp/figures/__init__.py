"""The MNIST stages' figures, one module per stage (train, evaluate, predict) and the digit
grid that evaluate and predict share; a module is a rerun boundary, so editing evaluate's
figure never retrains. Each function returns a matplotlib `Figure`; the stage saves it."""
