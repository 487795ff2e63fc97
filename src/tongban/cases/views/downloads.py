"""Downloads: the files of applications and cases, each through the permission check."""

import io
import uuid

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest

from tongban.identity.selectors import log_case_read

from .. import access, selectors, steps


@login_required
def attachment_file(request: HttpRequest, pid: uuid.UUID) -> FileResponse:
    """A material file through a permission check, never from MEDIA_URL.

    PDFs and images open in the browser (``inline``) unless ``?download=1``; the name shown is
    the cleaned display name, and the browser is told not to guess the type. A wallet
    certificate's file still being rendered by its task is rendered for this response.
    """
    attachment = selectors.get_attachment_for(request.user, pid)
    application = attachment.application
    case = getattr(application, "case", None) if application.status == application.Status.SUBMITTED else None
    if case is not None and not access.is_applicant_side(request.user, case):
        # Staff open the applicant's material: a read of the applicant's data (issue 14).
        name = attachment.requirement.name if attachment.requirement_id else "申请材料"
        log_case_read(request.user, case, "查阅申请材料", (name,))
    pending = steps.render_pending(attachment)
    response = FileResponse(
        io.BytesIO(pending) if pending is not None else attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=request.GET.get("download") == "1",
        filename=attachment.display_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
