from core.errors import Conflict, Forbidden


class PhoneTaken(Conflict):
    code = "phone_taken"
    message = "A user with this phone number already exists."


class ConsentRequired(Forbidden):
    code = "consent_required"
    message = "Record the location consent before sending positions."
