"""rnn-course: neural networks, RNNs and LSTMs from scratch in NumPy.

One module per concept:

- ``activations``: sigmoid, tanh, ReLU and their derivatives
- ``linear``: the output layer y_t = W_hy h_t + b_y
- ``rnn``: the vanilla (Elman) recurrent network, forward and backward through time
- ``lstm``: the Long Short-Term Memory network, forward and backward through time
- ``losses``: mean squared error and softmax cross-entropy
- ``gradcheck``: centred finite differences to test every backward pass
- ``optim``: SGD with momentum, Adam, gradient-norm clipping
- ``model``: a recurrent cell plus a linear read-out, as one parameter dict
- ``train``: a seeded training loop with a progress bar
- ``tasks``: toy sequence tasks (adding problem, copy task, sines, characters)
- ``ctc``: Connectionist Temporal Classification: its loss and gradient, greedy and beam-search decoding
- ``handwriting``: lines of real handwritten digits, and a convolution + recurrent reader trained with CTC
- ``plots``, ``widgets``, ``exercises``: what the notebooks show and check
"""

import os as _os

from threadpoolctl import threadpool_limits as _threadpool_limits

__version__ = "0.1.0"

# The course multiplies small matrices one time step after another (a (32, 128) batch by a
# (128, 512) weight, say). Spread over several BLAS threads, each tiny product waits on
# the others: training a 32-unit LSTM measured 2.5 to 3 times faster on one thread than on
# two. So importing the course limits BLAS to RNN_COURSE_BLAS_THREADS threads (default 1).
_threadpool_limits(int(_os.environ.get("RNN_COURSE_BLAS_THREADS", "1")), user_api="blas")
