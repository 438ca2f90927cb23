"""Library pages: browse, share, show, download, edit, version, delete; the Linkages Toolkit."""
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import guard
from ..accounts import services as accounts
from ..caching import whole_page
from ..errors import attempt
from ..extensions import db
from ..permissions import can, require
from ..search import backend as search
from ..vocabulary import TOOLKIT_AREAS
from . import browse, bp, files, services
from .forms import ConfirmForm, ResourceForm, VersionForm


@bp.get("/")
# With words the page goes through the search index: kept only where that is in the database.
@whole_page(when=lambda: not request.args.get("q", "").strip() or search.in_database())
def library():
    found = browse.browse_library(current_user, request.args.get("q", ""), browse.parse_filters(request.args),
                                  request.args.get("sort", ""), request.args.get("page", 1, type=int))
    if found.search_unavailable:
        db.session.commit()  # dispatches the index rebuild the search asked for
    body = browse.page_html(found, current_user.is_authenticated,
                            lambda: render_template("resources/_library_body.html", found=found))
    return render_template("resources/library.html", found=found, body=Markup(body))


def _form(resource=None):
    form = ResourceForm(obj=resource, requires_content=resource is None)
    form.county_id.choices = accounts.county_choices("No county (statewide)")
    form.cluster_ids.choices = [(c.id, c.name) for c in services.cluster_choices(current_user)]
    if request.method == "GET":
        if resource is None:
            form.county_id.data = current_user.county_id or 0
            form.program.data = current_user.program if current_user.program in ("cws", "calworks", "linkages") else "linkages"
        else:
            form.county_id.data = resource.county_id or 0
            form.cluster_ids.data = [c.id for c in resource.clusters]
            form.tags.data = ", ".join(resource.tags or [])
    return form


def _details(form):
    return services.ResourceDetails(
        title=form.title.data, summary=form.summary.data, county_id=form.county_id.data or None,
        program=form.program.data, doc_type=form.doc_type.data,
        toolkit_areas=form.toolkit_areas.data or [], strategies=form.strategies.data or [],
        cluster_ids=form.cluster_ids.data or [], tags=services.parse_tags(form.tags.data),
        year=form.year.data, visibility=form.visibility.data, link_url=form.link_url.data or None)


def _saved(form, save, success):
    """Run `save()` through `attempt`; a refused upload also removes the files it stored."""
    outcome = attempt(save, form=form, success=success)
    if not outcome:
        files.discard_new_files()
        if isinstance(outcome.error, files.BadFile):
            form.file.errors[-1] += " Your other answers are kept; choose the file again."
        elif isinstance(outcome.error, guard.GuardStopped) and getattr(form.file.data, "filename", ""):
            form.file.errors.append("Nothing was saved: choose the file again when you save.")
    return outcome


@bp.route("/new", methods=["GET", "POST"])
@login_required
def share():
    require("view_members")
    form = _form()
    if form.validate_on_submit():
        shared = _saved(form, lambda: services.share_resource(
            current_user, _details(form),
            files.store_upload(form.file.data) if not form.link_url.data else None, form.note.data,
            bool(form.confirm_not_client_data.data)),
            "Thank you for sharing. The file's text will be searchable in a moment.")
        if shared:
            return redirect(url_for("resources.show", resource_id=shared.result.id))
    return _edit_page(form, None)


def _edit_page(form, resource):
    findings = getattr(form, "guard_findings", [])
    status = 422 if form.errors or findings else 200
    return render_template("resources/edit.html", form=form, resource=resource,
                           findings=findings), status


@bp.get("/<int:resource_id>")
def show(resource_id):
    resource = services.get_resource_or_404(resource_id)
    return _show_page(resource, VersionForm())


def _show_page(resource, version_form, findings=(), status=200):
    can_edit = can(current_user, "edit", resource)
    current = resource.current_version
    held = services.held_findings(current) if can_edit and current and current.is_held else []
    related = services.related_resources(resource, current_user)
    return render_template("resources/show.html", resource=resource, related=related,
                           version_form=version_form, can_edit=can_edit, held=held,
                           confirm_form=ConfirmForm(), findings=list(findings)), status


@bp.post("/<int:resource_id>/versions/<int:number>/confirm")
@login_required
def confirm_version(resource_id, number):
    """The uploader confirms a held file holds no client data."""
    resource = services.get_resource_or_404(resource_id, "edit")
    version = next((v for v in resource.versions if v.number == number), None)
    if version is None or not version.is_held or not ConfirmForm().validate_on_submit():
        abort(404 if version is None else 400)
    attempt(lambda: services.confirm_not_client_data(version, current_user),
            success=f"Version {version.number} is released: others can open it and search reads it.")
    return redirect(url_for("resources.show", resource_id=resource.id))


@bp.get("/<int:resource_id>/download")
@bp.get("/<int:resource_id>/download/<int:number>")
def download(resource_id, number=None):
    resource = services.get_resource_or_404(resource_id)
    if resource.is_link:
        # Members type these addresses: say where the link leads instead of redirecting silently.
        services.record_download(resource)
        db.session.commit()
        return render_template("resources/leaving.html", resource=resource,
                               host=urlsplit(resource.link_url).hostname or resource.link_url)
    version = resource.current_version if number is None else next(
        (v for v in resource.versions if v.number == number), None)
    if version is None or (version.is_withheld and not can(current_user, "edit", resource)):
        abort(404)
    kept = files.store()
    if not kept.exists(version.stored_name):
        abort(404)
    size = kept.size(version.stored_name)
    inline = request.args.get("preview") == "1" and version.is_pdf
    # Streamed from whichever store keeps it, a chunk at a time; ranges and ETags work on both.
    response = send_file(kept.open(version.stored_name), mimetype=version.content_type,
                         as_attachment=not inline, download_name=version.original_name,
                         conditional=False, etag=version.sha256, max_age=0)
    response.content_length = size
    response.make_conditional(request, accept_ranges=True, complete_length=size)
    # One download is one count: a browser's PDF viewer asks for many ranges and a cache
    # revalidates (304); only the whole file or its first range counts.
    if response.status_code == 200 or (response.status_code == 206 and response.content_range.start == 0):
        services.record_download(resource, version)
        db.session.commit()
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    if inline:
        # Nothing but the browser's own PDF viewer may run for a previewed file.
        response.headers["Content-Security-Policy"] = "default-src 'none'; object-src 'self'; frame-ancestors 'none'"
    return response


@bp.route("/<int:resource_id>/edit", methods=["GET", "POST"])
@login_required
def edit(resource_id):
    resource = services.get_resource_or_404(resource_id, "edit")
    form = _form(resource)
    if form.validate_on_submit() and _saved(
            form, lambda: services.update_resource(resource, current_user, _details(form),
                                                   bool(form.confirm_not_client_data.data)),
            "The resource is updated."):
        return redirect(url_for("resources.show", resource_id=resource.id))
    return _edit_page(form, resource)


@bp.post("/<int:resource_id>/versions")
@login_required
def new_version(resource_id):
    resource = services.get_resource_or_404(resource_id, "edit")
    form, findings = VersionForm(), []
    if form.validate_on_submit():
        def upload():
            if not (form.file.data and form.file.data.filename):
                raise files.BadFile("Choose the new file to upload.")
            return services.add_version(resource, current_user, files.store_upload(form.file.data),
                                        form.note.data, bool(form.confirm_not_client_data.data))

        outcome = attempt(upload, form=form, field="file", success=lambda version:
                          f"Version {version.number} is uploaded; earlier versions stay available.")
        if outcome:
            return redirect(url_for("resources.show", resource_id=resource.id))
        files.discard_new_files()
        if isinstance(outcome.error, guard.GuardStopped):
            findings = outcome.error.findings
            form.file.errors.append("Nothing was saved: choose the file again when you upload.")
    return _show_page(resource, form, findings, 422)


@bp.post("/<int:resource_id>/delete")
@login_required
def delete(resource_id):
    resource = services.get_resource_or_404(resource_id, "delete")
    services.delete_resource(resource, current_user)
    db.session.commit()
    flash(f"“{resource.title}” is deleted.", "success")
    return redirect(url_for("resources.library"))


@bp.get("/toolkit")
def toolkit():
    return render_template("resources/toolkit.html", areas=services.toolkit(current_user),
                           tagged=browse.counts_by_area(current_user))


@bp.get("/toolkit/<area_key>")
def toolkit_area(area_key):
    if area_key not in dict(TOOLKIT_AREAS):
        abort(404)
    [(area, entries)] = services.toolkit(current_user, only=area_key)
    return render_template("resources/toolkit_area.html", area=area, entries=entries,
                           tagged=browse.counts_by_area(current_user)[area_key],
                           areas=TOOLKIT_AREAS)
