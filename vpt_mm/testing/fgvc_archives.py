"""Tiny fake FGVC archives in the real layouts of the original downloads,
for the converters' tests (scipy writes the ``.mat`` files)."""
import os
import os.path as osp

import cv2
import numpy as np
from scipy.io import savemat


def image(path):
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(path, np.full((4, 4, 3), 128, np.uint8))


def cub_like(root, class_ids, per_class=(10, 3), uuid=False):
    """CUB-200-2011 (``uuid=False``) or NABirds (``uuid=True``):
    ``per_class`` = (train, test) images of each class."""
    lines = dict(images=[], labels=[], split=[])
    number = 0
    for class_id in class_ids:
        for index in range(sum(per_class)):
            number += 1
            image_id = f'{number:08x}-aaaa' if uuid else str(number)
            path = f'{class_id:04d}/img_{number}.jpg'
            image(osp.join(root, 'images', path))
            lines['images'].append(f'{image_id} {path}')
            lines['labels'].append(f'{image_id} {class_id}')
            lines['split'].append(
                f'{image_id} {int(index < per_class[0])}')
    for key, name in (('images', 'images.txt'),
                      ('labels', 'image_class_labels.txt'),
                      ('split', 'train_test_split.txt')):
        with open(osp.join(root, name), 'w') as file:
            file.write('\n'.join(lines[key]) + '\n')
    return root


def flowers(root, num_classes=3):
    """``jpg/``, ``imagelabels.mat`` and ``setid.mat``: per class 2 train,
    2 val, 3 test images."""
    labels, ids = [], dict(trnid=[], valid=[], tstid=[])
    for label in range(1, num_classes + 1):
        for key, count in (('trnid', 2), ('valid', 2), ('tstid', 3)):
            for _ in range(count):
                labels.append(label)
                ids[key].append(len(labels))
                image(osp.join(root, 'jpg', f'image_{len(labels):05d}.jpg'))
    savemat(osp.join(root, 'imagelabels.mat'),
            dict(labels=np.array([labels], dtype=np.uint8)))
    savemat(osp.join(root, 'setid.mat'),
            {k: np.array([v], dtype=np.uint16) for k, v in ids.items()})
    return root


def dogs(root, num_classes=3, per_class=(10, 4)):
    """``Images/``, ``train_list.mat`` and ``test_list.mat`` (cell arrays
    of paths, 1-based labels, as in lists.tar)."""
    for split, count in zip(('train', 'test'), per_class):
        files, annotations, labels = [], [], []
        for label in range(1, num_classes + 1):
            synset = f'n0208{label:04d}-breed_{label}'
            for index in range(count):
                name = f'{synset}/{split}_{index}.jpg'
                image(osp.join(root, 'Images', name))
                files.append(name)
                annotations.append(name[:-4])
                labels.append(label)
        cell = np.empty((len(files), 1), dtype=object)
        cell[:, 0] = files
        notes = np.empty((len(files), 1), dtype=object)
        notes[:, 0] = annotations
        savemat(osp.join(root, f'{split}_list.mat'),
                dict(file_list=cell, annotation_list=notes,
                     labels=np.array(labels, dtype=float)[:, None]))
    return root


def _annotations(records, fields):
    array = np.zeros((1, len(records)), dtype=[(f, 'O') for f in fields])
    for index, record in enumerate(records):
        for field in fields:
            array[0, index][field] = record[field]
    return array


def cars(root, num_classes=3, per_class=(10, 4), combined=False):
    """The devkit layout (``cars_train/``, ``cars_test/``,
    ``devkit/cars_train_annos.mat``, ``cars_test_annos_withlabels.mat``)
    or the combined one (``car_ims/``, ``cars_annos.mat``)."""
    box = dict(bbox_x1=1, bbox_y1=1, bbox_x2=3, bbox_y2=3)
    records = dict(train=[], test=[])
    number = 0
    for split, count in zip(('train', 'test'), per_class):
        for label in range(1, num_classes + 1):
            for _ in range(count):
                number += 1
                records[split].append(dict(
                    box, fname=f'{number:05d}.jpg', **{'class': label},
                    relative_im_path=f'car_ims/{number:06d}.jpg',
                    test=int(split == 'test')))
    if combined:
        every = records['train'] + records['test']
        for record in every:
            image(osp.join(root, record['relative_im_path']))
        fields = list(box) + ['class', 'test', 'relative_im_path']
        savemat(osp.join(root, 'cars_annos.mat'),
                dict(annotations=_annotations(every, fields)))
        return root
    fields = list(box) + ['class', 'fname']
    os.makedirs(osp.join(root, 'devkit'))
    for split, name in (('train', 'devkit/cars_train_annos.mat'),
                        ('test', 'cars_test_annos_withlabels.mat')):
        for record in records[split]:
            image(osp.join(root, f'cars_{split}', record['fname']))
        savemat(osp.join(root, name),
                dict(annotations=_annotations(records[split], fields)))
    return root
