from core.errors import Forbidden


class NotYourTraining(Forbidden):
    code = "not_your_training"
    message = "Only the commissioner who ran this training may add to it."
