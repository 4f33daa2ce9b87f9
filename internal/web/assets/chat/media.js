// Photos and voice clips in a chat's composer: "Send a photo" (a file
// picker) and "Record a voice clip" (MediaRecorder), each uploaded to
// POST /media and then sent as an image or audio message.
import { h, replace, uid } from "../dom.js";
import { api } from "../api.js";
import { clearErrors } from "../forms.js";
import { icon } from "../ui.js";
import { t } from "../i18n.js";

// mediaTools adds the photo and voice-clip controls to tools, below the
// composer form f. send(body) sends a message; refused(e) shows a send
// refused by sleep mode.
export function mediaTools(tools, f, { send, refused }) {
  const fileId = uid("photo");
  const pick = h("input", { id: fileId, type: "file", accept: "image/png,image/jpeg,image/gif,image/webp" });
  const rec = h("button", { class: "btn small ghost", type: "button" }, icon("mic"), t("chat.record"));
  const status = h("span", { class: "muted small", role: "status" });
  tools.append(h("span", { class: "filepick" }, h("label", { for: fileId, class: "btn small ghost" }, icon("camera"), t("chat.send_photo")), pick), rec, status);
  const upload = uploader(f, status, { send, refused });
  pick.addEventListener("change", async () => {
    if (pick.files[0]) await upload(pick.files[0], pick.files[0].name, "image");
    pick.value = "";
  });
  voiceRecorder(rec, f, status, upload);
}

// uploader returns upload(blob, name, type): the file to POST /media, then
// a message of type with it.
function uploader(f, status, { send, refused }) {
  return async (blob, name, type) => {
    const fd = new FormData();
    fd.append("file", blob, name);
    status.textContent = t("chat.uploading");
    try {
      const media = await api("POST", "/media", fd);
      await send({ type, media_id: media.id });
      status.textContent = "";
      clearErrors(f); // an old "Type a message first." no longer holds
    } catch (e) {
      status.textContent = "";
      if (e.status === 423 && e.code === "sleep_mode") refused(e);
      else f.status.textContent = e.message;
    }
  };
}

// voiceRecorder makes rec start a recording, and stop and send it.
function voiceRecorder(rec, f, status, upload) {
  let recorder = null;
  rec.addEventListener("click", async () => {
    if (recorder) { recorder.stop(); return; }
    if (!window.MediaRecorder || !navigator.mediaDevices) { f.status.textContent = t("chat.no_recording"); return; }
    let stream;
    try { stream = await navigator.mediaDevices.getUserMedia({ audio: true }); }
    catch { f.status.textContent = t("chat.no_microphone"); return; }
    const chunks = [];
    recorder = new MediaRecorder(stream);
    recorder.ondataavailable = (e) => chunks.push(e.data);
    recorder.onstop = async () => {
      stream.getTracks().forEach(t => t.stop());
      recorder = null;
      replace(rec, icon("mic"), t("chat.record"));
      const blob = new Blob(chunks, { type: chunks[0] ? chunks[0].type : "audio/webm" });
      await upload(blob, "voice.webm", "audio");
    };
    recorder.start();
    replace(rec, icon("mic"), t("chat.stop_send"));
    status.textContent = t("chat.recording");
  });
}
